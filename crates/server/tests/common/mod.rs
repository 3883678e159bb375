//! A real `omics-match serve` process for the tests that kill and restart one.

#![allow(clippy::unwrap_used, clippy::expect_used, dead_code)]

use std::process::{Child, Command};
use std::time::{Duration, Instant};

use reqwest::blocking::Client;

pub struct Server {
    pub child: Child,
    pub base: String,
}

impl Drop for Server {
    /// A failing assertion must not leave a server running.
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

impl Server {
    /// Spawn `cmd`, a `serve` on 127.0.0.1:`port`, and wait until it is ready; `None` (the
    /// process killed) when it is not within `within`.
    pub fn start(mut cmd: Command, port: u16, within: Duration) -> Option<Server> {
        let t = Instant::now();
        let server = Server { child: cmd.spawn().unwrap(), base: format!("http://127.0.0.1:{port}") };
        let client = Client::builder().timeout(Duration::from_secs(10)).build().unwrap();
        while t.elapsed() < within {
            if client.get(format!("{}/api/v1/health/ready", server.base)).send().is_ok_and(|r| r.status().is_success()) {
                return Some(server);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }
}
