//! The accept loop: each connection is served by hyper with the axum router, and can be
//! closed without an answer (`Connection::kill`, a dropped-connection fault); the whole
//! listener closes for a while when refusing connections is asked for.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;
use tower_service::Service as _;

use super::App;

/// One client connection, as the handlers see it (a request extension).
#[derive(Default)]
pub struct Connection {
    /// Closes the connection at once, whatever it is doing.
    pub kill: Notify,
    /// It carried a track request: refusing connections closes it too (a client's
    /// pooled connection would otherwise outlive the refusal).
    pub served_track: AtomicBool,
}

pub async fn serve(app: Arc<App>, listener: TcpListener, router: Router) {
    let mut refuse = app.refuse.subscribe();
    // A refusal asked for on the command line was set before this loop subscribed.
    refuse.mark_changed();
    let mut listener = Some(listener);
    loop {
        let Some(open) = &listener else { return };
        tokio::select! {
            accepted = open.accept() => {
                if let Ok((stream, _)) = accepted {
                    tokio::spawn(connection(app.clone(), stream, router.clone()));
                }
            }
            changed = refuse.changed() => {
                if changed.is_err() {
                    return;
                }
                let until = *refuse.borrow_and_update();
                let Some(until) = until else { continue };
                let Some(closed) = listener.take() else { return };
                let address = closed.local_addr();
                drop(closed);
                app.listening.send_replace(false);
                app.refusing.notify_waiters();
                tokio::time::sleep_until(until.into()).await;
                listener = match address {
                    Ok(address) => rebind(address).await,
                    Err(_) => None,
                };
                app.refuse.send_replace(None);
                app.listening.send_replace(listener.is_some());
                app.publish_faults();
            }
        }
    }
}

/// Binds the address again after refusing; the port was ours a moment ago, so this
/// only waits out a slow release.
async fn rebind(address: SocketAddr) -> Option<TcpListener> {
    for _ in 0..100 {
        match TcpListener::bind(address).await {
            Ok(listener) => return Some(listener),
            Err(error) => {
                eprintln!("hamustro-collector: cannot listen on {address} again yet: {error}");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
    None
}

async fn connection(app: Arc<App>, stream: TcpStream, router: Router) {
    let _ = stream.set_nodelay(true);
    let this = Arc::new(Connection::default());
    let service = hyper::service::service_fn({
        let this = this.clone();
        move |mut request: hyper::Request<hyper::body::Incoming>| {
            request.extensions_mut().insert(this.clone());
            router.clone().call(request)
        }
    });
    let served =
        hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(stream), service);
    tokio::pin!(served);
    loop {
        tokio::select! {
            _ = served.as_mut() => return,
            () = this.kill.notified() => return,
            () = app.refusing.notified() => {
                if this.served_track.load(Ordering::SeqCst) {
                    return;
                }
            }
        }
    }
}
