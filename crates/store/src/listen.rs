//! Waking the replicas: on PostgreSQL every commit that appends to the change log sends
//! `NOTIFY omics_changes` (a trigger on `change_log`, see the `change_notify` migration), and
//! [`Store::listen_for_changes`] waits for those notifications on a connection of its own.
//! The index follower still polls: a notification only makes it look sooner.

use std::time::{Duration, Instant};

use postgres::fallible_iterator::FallibleIterator;

use crate::Store;
use crate::conn::Backend;

/// The channel the change-log trigger notifies.
pub const CHANGES_CHANNEL: &str = "omics_changes";
/// The `application_name` of the listening connection (it shows in `pg_stat_activity`).
pub const LISTENER_NAME: &str = "omics-match change listener";

/// How long one wait for a notification lasts: `stop` is looked at this often.
const WAIT: Duration = Duration::from_millis(250);
/// A connection quiet for this long is asked whether it is still there (a half-open TCP
/// connection would otherwise wait for notifications forever).
const CHECK_EVERY: Duration = Duration::from_secs(15);
/// Reconnecting waits this long after the first failure, twice as long after each further
/// one, up to `MAX_BACKOFF`.
const MIN_BACKOFF: Duration = Duration::from_millis(100);
const MAX_BACKOFF: Duration = Duration::from_secs(10);

impl Store {
    /// Until `stop` answers true: call `wake` after each commit (by any process) that appended
    /// to the change log, and once after each (re)connection, since changes committed while
    /// not listening were not notified. On PostgreSQL only; on SQLite this returns at once
    /// (one process writes, and it catches up after each of its own writes).
    ///
    /// A lost connection is logged and opened again with back-off (0.1 s doubling to 10 s);
    /// meanwhile the caller's polling keeps it in step. Blocks: run it on a thread of its own.
    pub fn listen_for_changes(&self, stop: &dyn Fn() -> bool, wake: &dyn Fn()) {
        if self.backend() != Backend::Postgres {
            return;
        }
        let mut config: postgres::Config = match self.url().parse() {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!(error = %e, "cannot LISTEN with this database URL; replicas follow the change log by polling only");
                return;
            }
        };
        config.application_name(LISTENER_NAME);
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(Duration::from_secs(5));
        }
        let mut backoff = MIN_BACKOFF;
        while !stop() {
            let connected = Instant::now();
            match connect(&config) {
                Ok(mut client) => {
                    tracing::debug!(channel = CHANGES_CHANNEL, "listening for changes");
                    wake();
                    let lost = match follow(&mut client, stop, wake) {
                        Ok(()) => return,
                        Err(e) => e,
                    };
                    // A connection that lasted resets the back-off; one lost at once does not.
                    if connected.elapsed() >= MAX_BACKOFF {
                        backoff = MIN_BACKOFF;
                    }
                    tracing::warn!(
                        error = %lost,
                        retry_in_ms = backoff.as_millis() as u64,
                        "lost the connection listening for changes; polling until it is back"
                    );
                }
                Err(e) => tracing::warn!(
                    error = %e,
                    retry_in_ms = backoff.as_millis() as u64,
                    "cannot listen for changes; polling until it can"
                ),
            }
            nap(backoff, stop);
            backoff = (backoff * 2).min(MAX_BACKOFF);
        }
    }
}

fn connect(config: &postgres::Config) -> Result<postgres::Client, postgres::Error> {
    let mut client = config.connect(postgres::NoTls)?;
    client.batch_execute(&format!("LISTEN {CHANGES_CHANNEL}"))?;
    Ok(client)
}

/// Wake on each notification until `stop`; an error when the connection is lost.
fn follow(client: &mut postgres::Client, stop: &dyn Fn() -> bool, wake: &dyn Fn()) -> Result<(), String> {
    let mut heard = Instant::now();
    while !stop() {
        let got = client.notifications().timeout_iter(WAIT).next().map_err(|e| e.to_string())?;
        if got.is_some() {
            // Whatever else has arrived meanwhile: one catch-up reads it all.
            let mut pending = client.notifications();
            let mut more = pending.iter();
            while more.next().map_err(|e| e.to_string())?.is_some() {}
            wake();
            heard = Instant::now();
        } else if client.is_closed() {
            return Err("the server closed the connection".into());
        } else if heard.elapsed() >= CHECK_EVERY {
            client.is_valid(Duration::from_secs(5)).map_err(|e| e.to_string())?;
            heard = Instant::now();
        }
    }
    Ok(())
}

/// Sleep for `d`, or less if `stop` comes first.
fn nap(d: Duration, stop: &dyn Fn() -> bool) {
    let until = Instant::now() + d;
    while !stop() && Instant::now() < until {
        std::thread::sleep(WAIT.min(until.saturating_duration_since(Instant::now())));
    }
}
