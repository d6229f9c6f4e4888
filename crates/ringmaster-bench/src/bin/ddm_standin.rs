//! A stand-in DDM server for `bench/ddm_sync.sh`: it answers every device the same fixed bodies
//! from memory, so the simulator's rate against it is the most this load generator reaches on
//! the machine (the baseline the real server's figures are divided by).
//!
//! ```sh
//! ddm_standin --listen 127.0.0.1:8080 --bodies DIR
//! ```
//!
//! `DIR` holds bodies captured from a real server for one device: `tokens.json`,
//! `declaration-items.json` and `declaration/{kind}/{identifier}.json` (the script captures them
//! with curl). Routes, under `/ddm/` as the real server: `GET tokens`, `GET declaration-items`,
//! `GET declaration/{kind}/{identifier}` (404 for any other) and `PUT status` (200, the body
//! read and dropped). No authentication, no database, no per-device state.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, put};
use clap::Parser;

/// Answers DDM check-ins with fixed bodies from memory (the benchmark's baseline).
#[derive(Debug, Parser)]
#[command(version, about)]
struct Cli {
    /// Where to listen.
    #[arg(long, default_value = "127.0.0.1:0")]
    listen: std::net::SocketAddr,
    /// The folder of captured bodies (`tokens.json`, `declaration-items.json`,
    /// `declaration/{kind}/{identifier}.json`).
    #[arg(long)]
    bodies: PathBuf,
}

/// The bodies, read once.
#[derive(Debug)]
struct Bodies {
    tokens: Bytes,
    items: Bytes,
    declarations: HashMap<(String, String), Bytes>,
}

fn read_bodies(dir: &std::path::Path) -> anyhow::Result<Bodies> {
    let read = |name: &str| -> anyhow::Result<Bytes> {
        let path = dir.join(name);
        Ok(Bytes::from(
            std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?,
        ))
    };
    let mut declarations = HashMap::new();
    let root = dir.join("declaration");
    for kind in std::fs::read_dir(&root).with_context(|| format!("reading {}", root.display()))? {
        let kind = kind?;
        let kind_name = kind.file_name().to_string_lossy().into_owned();
        for file in std::fs::read_dir(kind.path())? {
            let file = file?;
            let name = file.file_name().to_string_lossy().into_owned();
            if let Some(identifier) = name.strip_suffix(".json") {
                declarations.insert(
                    (kind_name.clone(), identifier.to_owned()),
                    Bytes::from(std::fs::read(file.path())?),
                );
            }
        }
    }
    Ok(Bodies {
        tokens: read("tokens.json")?,
        items: read("declaration-items.json")?,
        declarations,
    })
}

fn json(body: &Bytes) -> Response {
    ([(header::CONTENT_TYPE, "application/json")], body.clone()).into_response()
}

async fn tokens(State(bodies): State<Arc<Bodies>>) -> Response {
    json(&bodies.tokens)
}

async fn items(State(bodies): State<Arc<Bodies>>) -> Response {
    json(&bodies.items)
}

async fn declaration(
    State(bodies): State<Arc<Bodies>>,
    Path((kind, identifier)): Path<(String, String)>,
) -> Response {
    match bodies.declarations.get(&(kind, identifier)) {
        Some(body) => json(body),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

async fn status(_body: Bytes) -> StatusCode {
    StatusCode::OK
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let bodies = Arc::new(read_bodies(&cli.bodies)?);
    eprintln!(
        "ddm_standin: {} declarations from {}",
        bodies.declarations.len(),
        cli.bodies.display()
    );
    let app = Router::new()
        .route("/ddm/tokens", get(tokens))
        .route("/ddm/declaration-items", get(items))
        .route("/ddm/declaration/{kind}/{identifier}", get(declaration))
        .route("/ddm/status", put(status))
        .route("/healthz", get(|| async { "ok" }))
        .with_state(bodies);
    let listener = tokio::net::TcpListener::bind(cli.listen).await?;
    eprintln!("ddm_standin: listening on {}", listener.local_addr()?);
    axum::serve(listener, app).await?;
    Ok(())
}
