//! Waiting without sleeping blindly: polling with a bounded deadline, and running futures at once.

/// Asks `probe` every 20 ms until it answers `Some`, and returns that; fails the test, naming
/// `what`, once `limit` has passed. For waiting on work that another process does: the wait ends
/// as soon as the work is done, and a hang fails instead of blocking the suite.
pub async fn wait_for<T, F, Fut>(what: &str, limit: std::time::Duration, mut probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        if let Some(found) = probe().await {
            return found;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "gave up after {limit:?} waiting for {what}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

/// Runs every future at once on this task (concurrent requests, as an aggregator's retries
/// arrive), until all are done.
pub async fn join_all<F: std::future::Future>(futures: impl Iterator<Item = F>) {
    let mut pending: Vec<_> = futures.map(Box::pin).map(Some).collect();
    std::future::poll_fn(|cx| {
        for slot in pending.iter_mut() {
            if let Some(future) = slot {
                if future.as_mut().poll(cx).is_ready() {
                    *slot = None;
                }
            }
        }
        if pending.iter().all(Option::is_none) {
            std::task::Poll::Ready(())
        } else {
            std::task::Poll::Pending
        }
    })
    .await;
}
