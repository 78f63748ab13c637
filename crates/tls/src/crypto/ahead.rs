//! Public-key operations computed ahead, on other threads.
//!
//! A run with spare cores lets worker threads rehearse connections before
//! the simulation reaches them: a worker drives a copy of a connection's
//! two TLS ends (the same configurations and random streams) straight into
//! each other and keeps what their public-key operations give (key
//! generation, ECDH, ECDSA and Ed25519 signatures, verifications). When the
//! run's own connection comes to one of those operations, it takes a kept
//! result whose inputs are byte for byte its own, or computes it.
//!
//! A result is a pure function of its inputs, so nothing the run produces
//! depends on which thread computed what, or when: with or without
//! workers, the same scenario gives the same bytes. Each kept result is
//! taken once, so every operation a connection does is still computed once
//! for it; only the core that does it changes.
//!
//! Which connections are rehearsed: the run claims each connection it
//! reaches before a worker has, and every worker takes the next unclaimed
//! one at least two past the newest the run has reached, so the run and
//! the workers share the work instead of racing for the same connection,
//! and at most 256 past it (`MAX_LEAD`), so that what is kept stays small.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};

use super::CryptoError;

/// How far past the newest connection the run has reached a worker may
/// rehearse: far enough for every core to find work, near enough that what
/// is kept stays small.
const MAX_LEAD: usize = 256;

/// What an operation gave: bytes (a public value, a shared secret, a
/// signature; empty for a verification that passed) or its error.
type Outcome = Result<Vec<u8>, CryptoError>;

/// Results computed ahead for one run, shared by the run's thread and its
/// workers.
#[derive(Debug)]
pub struct Ahead {
    state: Mutex<State>,
    changed: Condvar,
}

#[derive(Debug)]
struct State {
    claims: Vec<Claim>,
    /// Kept results by their exact inputs, each taken once.
    kept: BTreeMap<Vec<u8>, Vec<Outcome>>,
    /// The newest connection the run has done an operation for.
    reached: Option<usize>,
    /// The run is over: workers stop.
    finished: bool,
}

/// Who computes a connection's operations.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Claim {
    /// Nobody yet.
    Free,
    /// The run itself, as it goes.
    Run,
    /// A worker, now.
    Rehearsing,
    /// A worker did; what it kept waits to be taken.
    Rehearsed,
}

/// The role of the current thread.
enum Role {
    /// The run's thread, acting for a connection (or none).
    Run {
        ahead: Arc<Ahead>,
        conn: Option<usize>,
    },
    /// A worker rehearsing a connection.
    Rehearsal { ahead: Arc<Ahead> },
}

thread_local! {
    static ROLE: RefCell<Option<Role>> = const { RefCell::new(None) };
}

impl Ahead {
    /// Results for a run of `conns` connections; those for which
    /// `rehearsable` is false are never rehearsed.
    pub fn new(rehearsable: impl IntoIterator<Item = bool>) -> Arc<Self> {
        let claims = rehearsable
            .into_iter()
            .map(|yes| if yes { Claim::Free } else { Claim::Run })
            .collect();
        Arc::new(Ahead {
            state: Mutex::new(State {
                claims,
                kept: BTreeMap::new(),
                reached: None,
                finished: false,
            }),
            changed: Condvar::new(),
        })
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Makes the current thread the run's for as long as the guard lives;
    /// when it drops, the run is over and workers stop.
    pub fn enter_run(self: &Arc<Self>) -> RunGuard {
        set_role(Some(Role::Run {
            ahead: Arc::clone(self),
            conn: None,
        }));
        RunGuard {
            ahead: Arc::clone(self),
        }
    }

    /// For a worker: the next connection to rehearse, claimed, or `None`
    /// once the run is over or nothing is left ahead of it.
    pub fn next_rehearsal(&self) -> Option<usize> {
        let mut state = self.lock();
        loop {
            if state.finished {
                return None;
            }
            // Two past the newest the run reached: the one just after is
            // the run's own, so the two share the work instead of racing.
            let from = state.reached.map_or(0, |reached| reached + 2);
            let next = (from..state.claims.len()).find(|&c| state.claims[c] == Claim::Free)?;
            // Many workers would outrun the run and keep the results of
            // every connection at once; they wait for it instead.
            if next > from + MAX_LEAD {
                state = self.changed.wait(state).unwrap_or_else(|e| e.into_inner());
                continue;
            }
            state.claims[next] = Claim::Rehearsing;
            return Some(next);
        }
    }

    /// For a worker: runs `rehearse` with every operation it does kept for
    /// connection `conn`, which [`next_rehearsal`](Self::next_rehearsal)
    /// gave.
    pub fn rehearse(self: &Arc<Self>, conn: usize, rehearse: impl FnOnce()) {
        /// Marks the rehearsal done even if it unwinds, so the run never
        /// waits for it in vain.
        struct Done<'a>(&'a Ahead, usize);
        impl Drop for Done<'_> {
            fn drop(&mut self) {
                set_role(None);
                self.0.lock().claims[self.1] = Claim::Rehearsed;
                self.0.changed.notify_all();
            }
        }
        let _done = Done(self, conn);
        set_role(Some(Role::Rehearsal {
            ahead: Arc::clone(self),
        }));
        rehearse();
    }

    /// A worker's result, kept for whoever needs the same inputs.
    fn keep(&self, inputs: Vec<u8>, outcome: Outcome) {
        self.lock().kept.entry(inputs).or_default().push(outcome);
        self.changed.notify_all();
    }

    /// For the run, acting for `conn`: a kept result for `inputs`, waiting
    /// for a rehearsal of `conn` under way; `None` when the run computes
    /// it.
    fn take(&self, conn: usize, inputs: &[u8]) -> Option<Outcome> {
        let mut state = self.lock();
        if state.reached.is_none_or(|reached| conn > reached) {
            state.reached = Some(conn);
            // Workers waiting for the run to move on may go on.
            self.changed.notify_all();
        }
        loop {
            match state.claims.get(conn).copied().unwrap_or(Claim::Run) {
                Claim::Free => {
                    state.claims[conn] = Claim::Run;
                    return None;
                }
                Claim::Run => return None,
                Claim::Rehearsing | Claim::Rehearsed => {
                    if let Some(outcome) = take_kept(&mut state.kept, inputs) {
                        return Some(outcome);
                    }
                    if state.claims[conn] == Claim::Rehearsed {
                        return None;
                    }
                    state = self.changed.wait(state).unwrap_or_else(|e| e.into_inner());
                }
            }
        }
    }
}

fn take_kept(kept: &mut BTreeMap<Vec<u8>, Vec<Outcome>>, inputs: &[u8]) -> Option<Outcome> {
    let outcomes = kept.get_mut(inputs)?;
    let outcome = outcomes.pop();
    if outcomes.is_empty() {
        kept.remove(inputs);
    }
    outcome
}

fn set_role(role: Option<Role>) {
    ROLE.with(|r| *r.borrow_mut() = role);
}

/// The run's thread while it lives; see [`Ahead::enter_run`].
#[derive(Debug)]
pub struct RunGuard {
    ahead: Arc<Ahead>,
}

impl RunGuard {
    /// Runs `act` with the operations it does counted as connection
    /// `conn`'s.
    pub fn acting_for<T>(&self, conn: usize, act: impl FnOnce() -> T) -> T {
        set_run_conn(Some(conn));
        let done = act();
        set_run_conn(None);
        done
    }
}

fn set_run_conn(conn: Option<usize>) {
    ROLE.with(|r| {
        if let Some(Role::Run { conn: current, .. }) = &mut *r.borrow_mut() {
            *current = conn;
        }
    });
}

impl Drop for RunGuard {
    fn drop(&mut self) {
        set_role(None);
        self.ahead.lock().finished = true;
        self.ahead.changed.notify_all();
    }
}

/// `compute()`, or its result computed ahead: `inputs()` names every
/// input of the operation, byte for byte (an operation tag first).
pub(crate) fn computed(
    inputs: impl FnOnce() -> Vec<u8>,
    compute: impl FnOnce() -> Outcome,
) -> Outcome {
    let role = ROLE.with(|r| match &*r.borrow() {
        None | Some(Role::Run { conn: None, .. }) => None,
        Some(Role::Run {
            ahead,
            conn: Some(conn),
        }) => Some((Arc::clone(ahead), Some(*conn))),
        Some(Role::Rehearsal { ahead }) => Some((Arc::clone(ahead), None)),
    });
    match role {
        None => compute(),
        Some((ahead, Some(conn))) => {
            let inputs = inputs();
            ahead.take(conn, &inputs).unwrap_or_else(compute)
        }
        Some((ahead, None)) => {
            let outcome = compute();
            ahead.keep(inputs(), outcome.clone());
            outcome
        }
    }
}

/// Operation tags, the first byte of every operation's inputs.
pub(crate) mod tag {
    pub(crate) const KX_PUBLIC: u8 = 1;
    pub(crate) const KX_AGREE: u8 = 2;
    pub(crate) const SIGN: u8 = 3;
    pub(crate) const VERIFY: u8 = 4;
}

/// `tag` followed by each part, length-prefixed so that no two different
/// lists of parts give the same bytes.
pub(crate) fn inputs(tag: u8, parts: &[&[u8]]) -> Vec<u8> {
    let mut out = Vec::with_capacity(1 + parts.iter().map(|p| 4 + p.len()).sum::<usize>());
    out.push(tag);
    for part in parts {
        out.extend_from_slice(&(part.len() as u32).to_be_bytes());
        out.extend_from_slice(part);
    }
    out
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    fn op(n: u8, calls: &AtomicUsize) -> Outcome {
        computed(
            || inputs(tag::SIGN, &[&[n]]),
            || {
                calls.fetch_add(1, Ordering::Relaxed);
                Ok(vec![n, n])
            },
        )
    }

    #[test]
    fn without_a_run_every_operation_is_computed_in_place() {
        let calls = AtomicUsize::new(0);
        assert_eq!(op(7, &calls), Ok(vec![7, 7]));
        assert_eq!(calls.load(Ordering::Relaxed), 1);
    }

    #[test]
    fn a_rehearsed_connection_takes_each_kept_result_once() {
        let ahead = Ahead::new([true, true, true]);
        let worker_calls = AtomicUsize::new(0);
        // Nothing reached yet: the first rehearsal is the first connection.
        assert_eq!(ahead.next_rehearsal(), Some(0));
        ahead.rehearse(0, || {});
        assert_eq!(ahead.next_rehearsal(), Some(1));
        ahead.rehearse(1, || {
            assert_eq!(op(1, &worker_calls), Ok(vec![1, 1]));
            assert_eq!(op(1, &worker_calls), Ok(vec![1, 1]));
        });
        assert_eq!(worker_calls.load(Ordering::Relaxed), 2);

        let run = ahead.enter_run();
        let run_calls = AtomicUsize::new(0);
        let computed_here = |n| run_calls.load(Ordering::Relaxed) == n;
        run.acting_for(1, || {
            assert_eq!(op(1, &run_calls), Ok(vec![1, 1]));
            assert_eq!(op(1, &run_calls), Ok(vec![1, 1]));
            assert!(computed_here(0), "both kept results taken");
            assert_eq!(op(1, &run_calls), Ok(vec![1, 1]));
            assert!(computed_here(1), "a third is computed");
        });
        // Connection 2 was never rehearsed: the run claims and computes it.
        run.acting_for(2, || assert_eq!(op(1, &run_calls), Ok(vec![1, 1])));
        assert!(computed_here(2));
        // Outside any connection the run computes in place.
        assert_eq!(op(1, &run_calls), Ok(vec![1, 1]));
        assert!(computed_here(3));
        drop(run);
        assert_eq!(ahead.next_rehearsal(), None, "the run is over");
    }

    #[test]
    fn workers_stay_two_connections_past_the_run_and_skip_what_it_claimed() {
        let ahead = Ahead::new([true, true, true, true, true, false, true]);
        let run = ahead.enter_run();
        let calls = AtomicUsize::new(0);
        run.acting_for(2, || assert_eq!(op(9, &calls), Ok(vec![9, 9])));
        assert_eq!(ahead.next_rehearsal(), Some(4));
        // 5 is not rehearsable.
        assert_eq!(ahead.next_rehearsal(), Some(6));
        assert_eq!(ahead.next_rehearsal(), None);
        drop(run);
    }

    #[test]
    fn kept_key_exchanges_and_signatures_equal_those_computed_in_place() {
        use tlsim_sim::RngStream;

        use crate::crypto::kx::KxGroup;
        use crate::crypto::sign::{SignatureScheme, SigningKey};

        let signer = SigningKey::generate_p256(&mut RngStream::new(1, "ahead/signer"));
        let scheme = SignatureScheme::EcdsaSha256;
        // One connection's operations, in the order a handshake does them.
        let handshake = || {
            let mut rng = RngStream::new(2, "ahead/conn");
            let mut answers = Vec::new();
            for group in [KxGroup::Secp256r1, KxGroup::Secp384r1, KxGroup::X25519] {
                let (ours, our_public) = group.generate(&mut rng);
                let (theirs, their_public) = group.generate(&mut rng);
                answers.push(our_public.clone());
                answers.push(ours.agree(&their_public).unwrap());
                assert_eq!(
                    theirs.agree(&our_public[..1]),
                    Err(CryptoError::InvalidPeerPublicKey)
                );
            }
            let signature = signer.sign(scheme, b"content", &mut rng).unwrap();
            let public = signer.public_key();
            assert_eq!(public.verify(scheme, b"content", &signature), Ok(()));
            assert_eq!(
                public.verify(scheme, b"other content", &signature),
                Err(CryptoError::BadSignature)
            );
            answers.push(signature);
            answers
        };
        let in_place = handshake();

        let ahead = Ahead::new([true]);
        assert_eq!(ahead.next_rehearsal(), Some(0));
        ahead.rehearse(0, || assert_eq!(handshake(), in_place));
        let kept = ahead.lock().kept.len();
        assert!(kept >= 10, "every operation kept, {kept}");
        let run = ahead.enter_run();
        assert_eq!(run.acting_for(0, handshake), in_place);
        assert!(ahead.lock().kept.is_empty(), "every kept result taken");
    }

    #[test]
    fn workers_wait_rather_than_run_far_ahead_of_the_run() {
        let ahead = Ahead::new(vec![true; MAX_LEAD + 8]);
        for conn in 0..=MAX_LEAD {
            assert_eq!(ahead.next_rehearsal(), Some(conn));
            ahead.rehearse(conn, || {});
        }
        let worker = {
            let ahead = Arc::clone(&ahead);
            std::thread::spawn(move || ahead.next_rehearsal())
        };
        // The worker waits until the run reaches connection 0, then takes
        // the next one in reach.
        let run = ahead.enter_run();
        let calls = AtomicUsize::new(0);
        run.acting_for(0, || op(5, &calls)).ok();
        assert_eq!(worker.join().unwrap(), Some(MAX_LEAD + 1));
    }

    #[test]
    fn the_run_waits_for_a_rehearsal_under_way() {
        let ahead = Ahead::new([false, true]);
        assert_eq!(ahead.next_rehearsal(), Some(1));
        let worker = {
            let ahead = Arc::clone(&ahead);
            std::thread::spawn(move || {
                let calls = AtomicUsize::new(0);
                ahead.rehearse(1, || {
                    assert_eq!(op(3, &calls), Ok(vec![3, 3]));
                });
            })
        };
        let run = ahead.enter_run();
        let calls = AtomicUsize::new(0);
        // Whether or not the worker has finished, the result is the same.
        run.acting_for(1, || assert_eq!(op(3, &calls), Ok(vec![3, 3])));
        worker.join().unwrap();
        assert_eq!(calls.load(Ordering::Relaxed), 0, "taken from the worker");
    }
}
