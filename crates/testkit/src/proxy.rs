//! A TCP proxy in front of a server, cut and restored at will: an outage as the client sees it
//! (connections dropped, new ones refused), without stopping the server other tests share.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

pub struct Proxy {
    port: u16,
    open: Arc<watch::Sender<bool>>,
    refused: Arc<AtomicU64>,
    task: tokio::task::JoinHandle<()>,
}

impl Proxy {
    pub async fn start(target: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("a free port");
        let port = listener.local_addr().expect("bound").port();
        let open = Arc::new(watch::Sender::new(true));
        let refused = Arc::new(AtomicU64::new(0));
        let task = tokio::spawn(accept(listener, target, open.clone(), refused.clone()));
        Self {
            port,
            open,
            refused,
            task,
        }
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Drops every connection and refuses new ones.
    pub fn cut(&self) {
        self.open.send_replace(false);
    }

    pub fn restore(&self) {
        self.open.send_replace(true);
    }

    /// Connections refused while cut: the client tried.
    pub fn refused(&self) -> u64 {
        self.refused.load(Ordering::Relaxed)
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn accept(
    listener: TcpListener,
    target: SocketAddr,
    open: Arc<watch::Sender<bool>>,
    refused: Arc<AtomicU64>,
) {
    while let Ok((mut client, _)) = listener.accept().await {
        if !*open.borrow() {
            refused.fetch_add(1, Ordering::Relaxed);
            continue; // dropped: the client sees the connection closed
        }
        let mut closed = open.subscribe();
        tokio::spawn(async move {
            let Ok(mut server) = TcpStream::connect(target).await else {
                return;
            };
            tokio::select! {
                _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
                _ = closed.wait_for(|open| !*open) => {}
            }
        });
    }
}
