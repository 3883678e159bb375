//! Start-up: the token keys (with the secret file kept in `data_dir`), the external issuer,
//! and the `Application` that binds, serves and keeps the index following the database.

use std::net::TcpListener;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use actix_web::dev::Server;
use actix_web::http::KeepAlive;
use actix_web::{App, HttpServer, web};
use omics_service::{OpenError, Service};

use crate::auth::Authenticator;
use crate::mail::Smtp;
use crate::oidc::Oidc;
use crate::settings::Settings;
use crate::state::AppState;
use crate::tokens::TokenKeys;

/// Why the service could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Open(#[from] OpenError),
    #[error("token secret: {0}")]
    Secret(String),
    #[error("external token issuer: {0}")]
    Oidc(String),
    #[error("email: {0}")]
    Smtp(String),
    #[error("cannot listen on {0}: {1}")]
    Bind(String, std::io::Error),
}

/// The token secret: configured, or generated once and kept in `data_dir/jwt-secret`.
fn token_secret(settings: &Settings) -> Result<Vec<u8>, StartError> {
    if let Some(s) = settings.jwt_secret.as_deref().filter(|s| !s.is_empty()) {
        if s.len() < 32 {
            return Err(StartError::Secret("jwt_secret must be at least 32 bytes".into()));
        }
        return Ok(s.as_bytes().to_vec());
    }
    let path = settings.data_dir.join("jwt-secret");
    match std::fs::read_to_string(&path) {
        Ok(s) if s.trim().len() >= 32 => Ok(s.trim().as_bytes().to_vec()),
        _ => {
            use rand::Rng;
            let secret: String = rand::rng().sample_iter(rand::distr::Alphanumeric).take(64).map(char::from).collect();
            write_private(&path, &secret).map_err(|e| StartError::Secret(format!("{}: {e}", path.display())))?;
            Ok(secret.into_bytes())
        }
    }
}

fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    opts.open(path)?.write_all(contents.as_bytes())
}

/// The running service.
pub struct Application {
    port: u16,
    server: Server,
    /// The SMTP server of the email digests, when one is configured.
    smtp: Option<Smtp>,
    background: Background,
    pub state: web::Data<AppState>,
}

/// The service's own threads (webhook deliveries, email digests): `stop` ends them. A process
/// should not exit while one is inside a database call, so whoever ends the service other than
/// through `run` returning (a test dropping it, say) calls `stop` first.
#[derive(Clone, Default)]
pub struct Background {
    stop: Arc<AtomicBool>,
    threads: Arc<Mutex<Vec<JoinHandle<()>>>>,
}

impl Background {
    fn spawn(&self, name: &str, work: impl FnOnce(&AtomicBool) + Send + 'static) -> std::io::Result<()> {
        let stop = self.stop.clone();
        let thread = std::thread::Builder::new().name(name.into()).spawn(move || work(&stop))?;
        self.threads.lock().unwrap_or_else(std::sync::PoisonError::into_inner).push(thread);
        Ok(())
    }

    /// Ask the threads to stop, and wait until they have (each ends the step it is in: a
    /// database call, an SMTP exchange, one webhook attempt of at most 10 s), or until
    /// `within` has passed; a thread still running then is left to end on its own.
    pub fn stop(&self, within: Duration) {
        self.stop.store(true, Ordering::Relaxed);
        let deadline = std::time::Instant::now() + within;
        let threads = std::mem::take(&mut *self.threads.lock().unwrap_or_else(std::sync::PoisonError::into_inner));
        for t in threads {
            while !t.is_finished() && std::time::Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(5));
            }
            if t.is_finished() {
                let _ = t.join();
            }
        }
    }
}

/// Raises the stop flag when `run` ends, however it ends (returned, or dropped unfinished).
struct StopOnDrop(Arc<AtomicBool>);

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

/// Until `stop`: queue new events for the webhooks and POST the deliveries that are due.
fn deliver_webhooks(service: &omics_service::Service, stop: &AtomicBool, poll: Duration) {
    // Built when the first delivery is due: a process without webhooks runs no HTTP client.
    let client: std::cell::OnceCell<Option<reqwest::blocking::Client>> = std::cell::OnceCell::new();
    let send = |url: &str, headers: &[(&str, String)], body: &str| -> omics_service::webhooks::Sent {
        let client = client.get_or_init(|| {
            let built =
                reqwest::blocking::Client::builder().timeout(Duration::from_secs(10)).redirect(reqwest::redirect::Policy::none()).build();
            built.map_err(|e| tracing::error!(error = %e, "no HTTP client for webhooks")).ok()
        });
        let Some(client) = client else { return Err("no HTTP client for webhooks".to_owned()) };
        let mut req = client.post(url).body(body.to_owned());
        for (k, v) in headers {
            req = req.header(*k, v);
        }
        req.send().map(|r| r.status().as_u16()).map_err(|e| e.to_string())
    };
    while !stop.load(Ordering::Relaxed) {
        if let Err(e) = service.deliver_webhooks(&send, &|| stop.load(Ordering::Relaxed)) {
            tracing::warn!(error = %e, "webhook deliveries failed; will retry");
        }
        std::thread::sleep(poll);
    }
}

/// Until `stop`: keep the analytics read model in step, a round per poll interval.
fn follow_analytics(service: &omics_service::Service, stop: &AtomicBool, poll: Duration) {
    while !stop.load(Ordering::Relaxed) {
        match service.refresh_analytics(&|| stop.load(Ordering::Relaxed)) {
            Ok(r) if r.ranked > 0 => tracing::debug!(ranked = r.ranked, pending = r.stale, "analytics ranked needs"),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "refreshing analytics failed; will retry"),
        }
        std::thread::sleep(poll);
    }
}

/// Until `stop`: send the email digests that are due.
fn send_digests(service: &omics_service::Service, smtp: &Smtp, stop: &AtomicBool, poll: Duration) {
    let mail = |e: &omics_service::email::Email| smtp.send(e);
    let mut last: Option<std::time::Instant> = None;
    while !stop.load(Ordering::Relaxed) {
        if last.is_none_or(|t| t.elapsed() >= poll) {
            last = Some(std::time::Instant::now());
            match service.send_digests(&mail) {
                Ok(0) => {}
                Ok(sent) => tracing::info!(sent, "email digests sent"),
                Err(e) => tracing::warn!(error = %e, "email digests failed; will retry"),
            }
        }
        // Short naps, so that a stop does not wait for a long poll interval.
        std::thread::sleep(poll.min(Duration::from_millis(200)));
    }
}

/// How often the service expires unanswered proposals and needs past their deadline.
const SWEEP_EVERY: Duration = Duration::from_secs(60);

impl Application {
    /// Open everything and bind; `run` then serves until stopped.
    pub fn build(settings: Settings) -> Result<Application, StartError> {
        let service = Service::open(settings.service_config())?;
        Self::with_service(settings, Arc::new(service))
    }

    /// Bind and serve an opened service.
    pub fn with_service(settings: Settings, service: Arc<Service>) -> Result<Application, StartError> {
        let retired: Vec<(String, Vec<u8>)> = settings.jwt_retired_keys.iter().map(|(k, s)| (k.clone(), s.as_bytes().to_vec())).collect();
        let tokens = TokenKeys::with_kid(&settings.jwt_kid, &token_secret(&settings)?, &retired, settings.token_ttl_secs)
            .map_err(|e| StartError::Secret(e.to_string()))?;
        let oidc = Oidc::from_settings(&settings.oidc).map_err(StartError::Oidc)?;
        let smtp = settings.smtp().map(|url| Smtp::new(url, &settings.smtp_from)).transpose().map_err(StartError::Smtp)?;
        if smtp.is_some() {
            tracing::info!("sending email digests");
        }
        if let Some(o) = &oidc {
            tracing::info!(issuer = o.issuer(), "accepting tokens of an external OpenID Connect issuer");
        }
        let addr = format!("{}:{}", settings.host, settings.port);
        let listener = TcpListener::bind(&addr).map_err(|e| StartError::Bind(addr.clone(), e))?;
        let port = listener.local_addr().map_err(|e| StartError::Bind(addr.clone(), e))?.port();
        let (workers, blocking_threads) = (settings.workers, settings.blocking_threads);
        let keep_alive = match settings.keep_alive_secs {
            0 => KeepAlive::Disabled,
            secs => KeepAlive::Timeout(Duration::from_secs(secs)),
        };
        let (header_timeout, disconnect_timeout) =
            (Duration::from_secs(settings.header_timeout_secs), Duration::from_secs(settings.disconnect_timeout_secs));
        let auth = web::Data::new(Authenticator { tokens, oidc, service: service.clone() });
        let state = web::Data::new(AppState::new(service, settings));
        let data = state.clone();
        let mut server = HttpServer::new(move || App::new().configure(|cfg| crate::configure(cfg, data.clone(), auth.clone())))
            .listen(listener)
            .map_err(|e| StartError::Bind(addr.clone(), e))?
            .client_request_timeout(header_timeout)
            .client_disconnect_timeout(disconnect_timeout)
            .keep_alive(keep_alive)
            .shutdown_timeout(20);
        if workers > 0 {
            server = server.workers(workers);
        }
        server = server.worker_max_blocking_threads(blocking_threads.max(1));
        Ok(Application { port, server: server.run(), smtp, background: Background::default(), state })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// A handle to stop the server gracefully.
    pub fn handle(&self) -> actix_web::dev::ServerHandle {
        self.server.handle()
    }

    /// A handle on the service's own threads, which `run` starts.
    pub fn background(&self) -> Background {
        self.background.clone()
    }

    /// Serve until the server stops (SIGINT/SIGTERM stop it gracefully). Meanwhile the index
    /// follows the change log for writes made by other instances: on PostgreSQL it is woken
    /// by the notification of each commit (see `Store::listen_for_changes`), and it polls
    /// every `index_poll_ms` whatever the backend, in case a notification was missed.
    pub async fn run(self) -> std::io::Result<()> {
        let state = self.state.clone();
        let poll = Duration::from_millis(state.settings.index_poll_ms.max(50));
        // A wake-up that comes while a catch-up runs is kept, and starts the next one at once.
        let wake = Arc::new(tokio::sync::Notify::new());
        let woken = wake.clone();
        let follower = actix_web::rt::spawn(async move {
            let mut tick = actix_web::rt::time::interval(poll);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            let mut swept: Option<std::time::Instant> = None;
            loop {
                tokio::select! {
                    _ = tick.tick() => {}
                    () = woken.notified() => {}
                }
                let service = state.service.clone();
                match web::block(move || service.index.catch_up(&service.store)).await {
                    Ok(Err(e)) => tracing::warn!(error = %e, "index catch-up failed; will retry"),
                    Err(e) => tracing::warn!(error = %e, "index catch-up task failed"),
                    Ok(Ok(_)) => {}
                }
                // Saved searches follow what the index has applied.
                let service = state.service.clone();
                match web::block(move || service.follow_saved_searches()).await {
                    Ok(Ok(0)) => {}
                    Ok(Ok(hits)) => tracing::info!(hits, "saved searches have new hits"),
                    Ok(Err(e)) => tracing::warn!(error = %e, "following saved searches failed; will retry"),
                    Err(e) => tracing::warn!(error = %e, "saved-search task failed"),
                }
                // Proposals past their TTL and needs past their deadline expire, once a minute.
                if swept.is_none_or(|t| t.elapsed() >= SWEEP_EVERY) {
                    swept = Some(std::time::Instant::now());
                    let service = state.service.clone();
                    match web::block(move || service.sweep()).await {
                        Ok(Ok((0, 0))) => {}
                        Ok(Ok((introductions, needs))) => tracing::info!(introductions, needs, "expired"),
                        Ok(Err(e)) => tracing::warn!(error = %e, "expiry sweep failed; will retry"),
                        Err(e) => tracing::warn!(error = %e, "expiry sweep task failed"),
                    }
                }
            }
        });
        // Webhook deliveries, on a thread of their own (blocking HTTP, at most 10 s an attempt),
        // and email digests on another (blocking SMTP).
        let _stop_on_drop = StopOnDrop(self.background.stop.clone());
        if self.state.service.store.backend() == omics_store::Backend::Postgres {
            let service = self.state.service.clone();
            self.background.spawn("change-listener", move |stop| {
                service.store.listen_for_changes(&|| stop.load(Ordering::Relaxed), &|| wake.notify_one());
            })?;
        }
        let service = self.state.service.clone();
        self.background.spawn("webhooks", move |stop| deliver_webhooks(&service, stop, poll))?;
        // Analytics follow the catalogue, ranking needs on a thread of their own (up to a
        // second of work a round) so that the index's catch-up never waits for them.
        let service = self.state.service.clone();
        self.background.spawn("analytics", move |stop| follow_analytics(&service, stop, poll))?;
        if let Some(smtp) = self.smtp {
            let service = self.state.service.clone();
            let every = Duration::from_millis(self.state.settings.email_poll_ms.max(50));
            self.background.spawn("mailer", move |stop| send_digests(&service, &smtp, stop, every))?;
        }
        let result = self.server.await;
        follower.abort();
        let background = self.background.clone();
        let _ = web::block(move || background.stop(Duration::from_secs(15))).await;
        // One last catch-up so the index is committed in step with the database at exit.
        let service = self.state.service.clone();
        if let Ok(Err(e)) = web::block(move || service.index.catch_up(&service.store)).await {
            tracing::warn!(error = %e, "final index catch-up failed; it will catch up at next start");
        }
        result
    }
}
