use std::time::Instant;

use axum::routing::{get, post};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::*;

fn app() -> Router {
    Router::new()
        .route("/healthz", get(|| async { "ok\n" }))
        .route(
            "/slow",
            get(|| async {
                tokio::time::sleep(Duration::from_millis(300)).await;
                "slow\n"
            }),
        )
        .route("/echo", post(|body: String| async move { body }))
}

async fn start(builder: ServerBuilder) -> (SocketAddr, ServerHandle) {
    let server = builder.bind("127.0.0.1:0").await.unwrap();
    let addr = server.local_addr().unwrap();
    (addr, server.spawn(app()))
}

/// Sends `request` and reads the whole response (the server closes after it).
async fn exchange(addr: SocketAddr, request: impl AsRef<str>) -> String {
    let request = request.as_ref();
    let mut c = TcpStream::connect(addr).await.unwrap();
    c.write_all(request.as_bytes()).await.unwrap();
    let mut out = Vec::new();
    let _ = c.read_to_end(&mut out).await;
    String::from_utf8_lossy(&out).into_owned()
}

fn get_req(path: &str) -> String {
    format!("GET {path} HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n")
}

#[tokio::test]
async fn serves_routes_and_404() {
    let (addr, handle) = start(Server::builder()).await;
    let ok = exchange(addr, get_req("/healthz")).await;
    assert!(ok.starts_with("HTTP/1.1 200"), "{ok}");
    assert!(ok.ends_with("ok\n"), "{ok}");
    let missing = exchange(addr, get_req("/nope")).await;
    assert!(missing.starts_with("HTTP/1.1 404"), "{missing}");
    handle.shutdown(Duration::from_secs(1)).await;
}

#[tokio::test]
async fn a_client_that_never_finishes_its_head_is_disconnected() {
    // The hand-written server read a request head for as long as the client kept the socket.
    let (addr, handle) =
        start(Server::builder().header_read_timeout(Duration::from_millis(200))).await;
    let mut c = TcpStream::connect(addr).await.unwrap();
    c.write_all(b"GET /healthz HTTP/1.1\r\nhost: x\r\n")
        .await
        .unwrap();
    let started = Instant::now();
    let mut out = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(5), c.read_to_end(&mut out)).await;
    assert!(read.is_ok(), "the connection stayed open");
    assert!(started.elapsed() < Duration::from_secs(3));
    handle.shutdown(Duration::from_secs(1)).await;
}

#[tokio::test]
async fn oversized_bodies_are_refused() {
    let (addr, handle) = start(Server::builder().max_body_bytes(16)).await;
    let body = "x".repeat(100);
    let req = format!(
        "POST /echo HTTP/1.1\r\nhost: x\r\nconnection: close\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    );
    let resp = exchange(addr, &req).await;
    assert!(resp.starts_with("HTTP/1.1 413"), "{resp}");
    let small =
        "POST /echo HTTP/1.1\r\nhost: x\r\nconnection: close\r\ncontent-length: 2\r\n\r\nhi";
    let resp = exchange(addr, small).await;
    assert!(
        resp.starts_with("HTTP/1.1 200") && resp.ends_with("hi"),
        "{resp}"
    );
    handle.shutdown(Duration::from_secs(1)).await;
}

#[tokio::test]
async fn slow_handlers_time_out() {
    let (addr, handle) = start(Server::builder().request_timeout(Duration::from_millis(50))).await;
    let resp = exchange(addr, get_req("/slow")).await;
    assert!(resp.starts_with("HTTP/1.1 408"), "{resp}");
    handle.shutdown(Duration::from_secs(1)).await;
}

#[tokio::test]
async fn connections_beyond_the_limit_wait_for_a_free_slot() {
    let (addr, handle) = start(Server::builder().max_connections(1)).await;
    let idle = TcpStream::connect(addr).await.unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    let waiting = tokio::spawn(exchange(addr, get_req("/healthz")));
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!waiting.is_finished(), "served beyond max_connections");
    drop(idle);
    let resp = tokio::time::timeout(Duration::from_secs(5), waiting)
        .await
        .expect("served once the slot was free")
        .unwrap();
    assert!(resp.starts_with("HTTP/1.1 200"), "{resp}");
    handle.shutdown(Duration::from_secs(1)).await;
}

#[tokio::test]
async fn shutdown_finishes_requests_in_flight_then_stops_listening() {
    let (addr, handle) = start(Server::builder()).await;
    let in_flight = tokio::spawn(exchange(addr, get_req("/slow")));
    tokio::time::sleep(Duration::from_millis(100)).await;
    handle.shutdown(Duration::from_secs(5)).await;
    let resp = in_flight.await.unwrap();
    assert!(
        resp.starts_with("HTTP/1.1 200") && resp.ends_with("slow\n"),
        "{resp}"
    );
    assert!(TcpStream::connect(addr).await.is_err(), "still listening");
}

#[tokio::test]
async fn shutdown_closes_what_outlives_the_drain_period() {
    let (addr, handle) = start(Server::builder()).await;
    let in_flight = tokio::spawn(exchange(addr, get_req("/slow")));
    tokio::time::sleep(Duration::from_millis(100)).await;
    let started = Instant::now();
    handle.shutdown(Duration::from_millis(10)).await;
    assert!(started.elapsed() < Duration::from_millis(250));
    let resp = in_flight.await.unwrap();
    assert!(!resp.contains("slow"), "{resp}");
}
