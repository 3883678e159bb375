//! Sending the email digests that `omics_service::email` composes, over SMTP with `lettre`.

use std::time::Duration;

use lettre::message::{Mailbox, header::ContentType};
use lettre::{Message, SmtpTransport, Transport};
use omics_service::email::Email;

/// An SMTP server to send through.
pub struct Smtp {
    transport: SmtpTransport,
    from: Mailbox,
}

impl Smtp {
    /// The server of `url` (`smtp://`, `smtp://…?tls=required` or `smtps://`), sending as `from`.
    pub fn new(url: &str, from: &str) -> Result<Smtp, String> {
        let from: Mailbox = from.parse().map_err(|e| format!("smtp_from '{from}' is not an address: {e}"))?;
        let transport = SmtpTransport::from_url(url)
            .map_err(|e| format!("smtp_url is not an SMTP URL (smtp://host:port or smtps://user:password@host): {e}"))?
            .timeout(Some(Duration::from_secs(20)))
            .build();
        Ok(Smtp { transport, from })
    }

    /// Send one email; the error says why the server did not take it.
    pub fn send(&self, e: &Email) -> Result<(), String> {
        let to = Mailbox::new(Some(e.to_name.clone()), e.to.parse().map_err(|err| format!("recipient {}: {err}", e.to))?);
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(&e.subject)
            .header(ContentType::TEXT_PLAIN)
            .body(e.body.clone())
            .map_err(|err| err.to_string())?;
        self.transport.send(&message).map(|_| ()).map_err(|err| err.to_string())
    }
}
