//! SQLite's live USSD sessions, kept in memory as the writer commits them, so that a continuing
//! hop finds its session without a read (on SQLite one service owns the database, and every
//! session write goes through its one writer).
//!
//! What is held is always what the database holds: the writer changes an entry only after its
//! commit, in the order it wrote, and every other statement that deletes or re-keys sessions
//! clears the cache after its own commit. A hop that finds nothing reads the database, and
//! reads never fill the cache (a read's answer could be older than the writer's next commit).
//! Ended sessions are not held (their final screen answers retries from the database), so what
//! is held is the sessions still going on, and at most [`MOST`] of them.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use super::writer::SessionOp;
use super::StoredUssdSession;

/// Most sessions held; past it the cache starts again empty (misses only cost a read).
const MOST: usize = 10_000;

/// See the module's notes.
#[derive(Clone, Default)]
pub(crate) struct SessionCache {
    live: Arc<Mutex<HashMap<(String, String), Held>>>,
}

struct Held {
    state: String,
    last_input: Option<String>,
    last_reply: String,
    resume_tag: Option<Vec<u8>>,
    expires_at: i64,
}

impl SessionCache {
    /// The session, if it is held and has not expired at `now` (milliseconds).
    pub(super) fn get(
        &self,
        channel: &str,
        session_id: &str,
        now: i64,
    ) -> Option<StoredUssdSession> {
        let live = self.lock();
        let held = live.get(&(channel.to_string(), session_id.to_string()))?;
        (held.expires_at > now).then(|| StoredUssdSession {
            state: held.state.clone(),
            last_input: held.last_input.clone(),
            last_reply: held.last_reply.clone(),
            ended: false,
        })
    }

    /// What the writer just committed, each as its statement did it, in the order the writer
    /// runs them: every deletion, then every save ([`SessionOp::statements_of`]).
    pub(super) fn committed(&self, ops: &[SessionOp]) {
        let mut live = self.lock();
        let (saves, deletions): (Vec<&SessionOp>, Vec<&SessionOp>) =
            ops.iter().partition(|op| matches!(op, SessionOp::Save(_)));
        for op in deletions.into_iter().chain(saves) {
            match op {
                SessionOp::Save(w) if w.ended => {
                    live.remove(&(w.channel.clone(), w.session_id.clone()));
                }
                SessionOp::Save(w) => {
                    if live.len() >= MOST {
                        live.clear();
                    }
                    live.insert(
                        (w.channel.clone(), w.session_id.clone()),
                        Held {
                            state: w.state.clone(),
                            last_input: w.last_input.clone(),
                            last_reply: w.last_reply.clone(),
                            resume_tag: w.resume_tag.clone(),
                            expires_at: w.expires_at,
                        },
                    );
                }
                SessionOp::Delete {
                    channel,
                    session_id,
                    resume_tag,
                } => {
                    live.remove(&(channel.clone(), session_id.clone()));
                    if let Some(tag) = resume_tag {
                        live.retain(|_, held| held.resume_tag.as_ref() != Some(tag));
                    }
                }
                // Deleted unless kept for resuming: only a session with a tag stays.
                SessionOp::End {
                    channel,
                    session_id,
                } => {
                    let key = (channel.clone(), session_id.clone());
                    if live.get(&key).is_some_and(|held| held.resume_tag.is_none()) {
                        live.remove(&key);
                    }
                }
            }
        }
    }

    /// Forgets everything: after a write that did not go through the writer, or failed.
    pub(crate) fn clear(&self) {
        self.lock().clear();
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<(String, String), Held>> {
        // A holder that panicked may have left a change half done: start again empty.
        self.live.lock().unwrap_or_else(|poisoned| {
            let mut live = poisoned.into_inner();
            live.clear();
            live
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::writer::OwnedSessionWrite;
    use super::*;

    fn save(session_id: &str, tag: Option<&[u8]>, ended: bool) -> SessionOp {
        SessionOp::Save(OwnedSessionWrite {
            channel: "at".into(),
            session_id: session_id.into(),
            state: format!("state of {session_id}"),
            last_input: Some("3*1".into()),
            last_reply: "Join?".into(),
            resume_tag: tag.map(<[u8]>::to_vec),
            expires_at: 1_000,
            resume_until: None,
            ended,
        })
    }

    #[test]
    fn a_held_session_is_what_the_statements_left_and_nothing_after_it_expires() {
        let cache = SessionCache::default();
        cache.committed(&[
            save("a", Some(b"tag"), false),
            save("b", Some(b"tag"), false),
        ]);
        cache.committed(&[save("c", None, false), save("d", Some(b"other"), false)]);
        assert_eq!(cache.get("at", "a", 999).unwrap().state, "state of a");
        assert!(cache.get("at", "a", 1_000).is_none(), "expired");

        // The aggregator ends c (no tag: deleted) and d (joining: kept for resuming).
        cache.committed(&[
            SessionOp::End {
                channel: "at".into(),
                session_id: "c".into(),
            },
            SessionOp::End {
                channel: "at".into(),
                session_id: "d".into(),
            },
        ]);
        assert!(cache.get("at", "c", 0).is_none());
        assert!(cache.get("at", "d", 0).is_some());

        // a ends on purpose: it and every session of its caller go, its final screen is not
        // held (the database answers retries with it).
        cache.committed(&[
            SessionOp::Delete {
                channel: "at".into(),
                session_id: "a".into(),
                resume_tag: Some(b"tag".to_vec()),
            },
            save("a", None, true),
        ]);
        assert!(cache.get("at", "a", 0).is_none());
        assert!(cache.get("at", "b", 0).is_none(), "same caller");
        assert!(cache.get("at", "d", 0).is_some(), "another caller");

        cache.clear();
        assert!(cache.get("at", "d", 0).is_none());
    }
}
