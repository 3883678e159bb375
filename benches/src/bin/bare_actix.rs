//! Bare actix-web baseline (benches/run.sh, figure 4): one route, `GET /hello`, answering a
//! fixed small JSON body, with as many workers as our server. What our HTTP stack costs is
//! measured against this ceiling with the same wrk settings.

use std::net::TcpListener;

use actix_web::{App, HttpResponse, HttpServer, web};
use clap::Parser;

#[derive(Parser)]
#[command(about = "A bare actix-web server with one fixed JSON route, for comparison")]
struct Args {
    /// Port on 127.0.0.1 (0: any free port; the chosen one is printed).
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// Worker threads (0: one per core, as our server's default).
    #[arg(long, default_value_t = 0)]
    workers: usize,
}

async fn hello() -> HttpResponse {
    HttpResponse::Ok().content_type("application/json").body(r#"{"status":"ok","service":"bare-actix"}"#)
}

fn main() -> std::io::Result<()> {
    let args = Args::parse();
    let listener = TcpListener::bind(("127.0.0.1", args.port))?;
    let port = listener.local_addr()?.port();
    actix_web::rt::System::new().block_on(async move {
        let mut server = HttpServer::new(|| App::new().route("/hello", web::get().to(hello))).listen(listener)?;
        if args.workers > 0 {
            server = server.workers(args.workers);
        }
        println!("listening on http://127.0.0.1:{port}/hello");
        server.run().await
    })
}
