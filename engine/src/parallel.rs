//! Running independent pieces of work (the columns of a segment or a batch, or two steps of one) on
//! every core.

use std::sync::atomic::{AtomicUsize, Ordering};

/// `f(i)` for every `i < n`, in index order; on up to one thread per core when `parallel` (the work
/// items are taken in order from a shared counter, so one slow column does not hold up the rest).
pub(crate) fn map_parallel<T: Send>(n: usize, parallel: bool, f: impl Fn(usize) -> T + Sync) -> Vec<T> {
    let threads = if parallel {
        std::thread::available_parallelism().map_or(1, |t| t.get()).min(n)
    } else {
        1
    };
    if threads <= 1 {
        return (0..n).map(f).collect();
    }
    let next = AtomicUsize::new(0);
    let work = || {
        let mut done = Vec::new();
        loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            if i >= n {
                return done;
            }
            done.push((i, f(i)));
        }
    };
    let mut results: Vec<(usize, T)> = std::thread::scope(|scope| {
        let helpers: Vec<_> = (1..threads).map(|_| scope.spawn(work)).collect();
        let mut all = work();
        for helper in helpers {
            match helper.join() {
                Ok(done) => all.extend(done),
                // The encoders do not panic on any input; if one did, re-raise it here.
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
        all
    });
    results.sort_unstable_by_key(|(i, _)| *i);
    results.into_iter().map(|(_, t)| t).collect()
}

/// `(a(), b())`, with `a` on a thread of its own while `b` runs on this one when `parallel`, one after
/// the other otherwise.
pub(crate) fn join<A: Send, B>(parallel: bool, a: impl FnOnce() -> A + Send, b: impl FnOnce() -> B) -> (A, B) {
    if !parallel {
        return (a(), b());
    }
    std::thread::scope(|scope| {
        let a = scope.spawn(a);
        let b = b();
        match a.join() {
            Ok(a) => (a, b),
            // The steps run here do not panic on any input; if one did, re-raise it here.
            Err(panic) => std::panic::resume_unwind(panic),
        }
    })
}
