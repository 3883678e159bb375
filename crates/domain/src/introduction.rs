//! Introductions: the step from a ranked match to a conversation between a need's requester and
//! a platform, and the rules of their life (who may move them, and to what).
//!
//! ```text
//! proposed ──accept (other side)──▶ accepted
//!    │ ├─────decline (other side)──▶ declined
//!    │ └────withdraw (proposer)────▶ withdrawn
//!    └──────no answer for the TTL──▶ expired
//! proposed | accepted ──the need is matched elsewhere or withdrawn──▶ closed
//! ```

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A party's side of an introduction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    /// The need's owner.
    Requester,
    /// The platform's owner.
    Platform,
}

impl Side {
    pub fn as_str(self) -> &'static str {
        match self {
            Side::Requester => "requester",
            Side::Platform => "platform",
        }
    }

    pub fn parse(s: &str) -> Option<Side> {
        match s {
            "requester" => Some(Side::Requester),
            "platform" => Some(Side::Platform),
            _ => None,
        }
    }

    pub fn other(self) -> Side {
        match self {
            Side::Requester => Side::Platform,
            Side::Platform => Side::Requester,
        }
    }
}

/// Where an introduction stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum IntroductionState {
    /// Proposed by one side, waiting for the other.
    Proposed,
    /// Accepted by the other side: the two are in contact.
    Accepted,
    /// Declined by the other side.
    Declined,
    /// Withdrawn by the side that proposed it.
    Withdrawn,
    /// Not answered within the introduction TTL.
    Expired,
    /// Closed because the need was matched through another introduction, or withdrawn.
    Closed,
}

impl IntroductionState {
    pub const ALL: [IntroductionState; 6] = [
        IntroductionState::Proposed,
        IntroductionState::Accepted,
        IntroductionState::Declined,
        IntroductionState::Withdrawn,
        IntroductionState::Expired,
        IntroductionState::Closed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            IntroductionState::Proposed => "proposed",
            IntroductionState::Accepted => "accepted",
            IntroductionState::Declined => "declined",
            IntroductionState::Withdrawn => "withdrawn",
            IntroductionState::Expired => "expired",
            IntroductionState::Closed => "closed",
        }
    }

    pub fn parse(s: &str) -> Option<IntroductionState> {
        IntroductionState::ALL.into_iter().find(|st| st.as_str() == s)
    }

    /// Whether nothing more happens to it: declined, withdrawn, expired or closed. At most one
    /// introduction that is not closed exists per need and platform.
    pub fn is_closed(self) -> bool {
        !matches!(self, IntroductionState::Proposed | IntroductionState::Accepted)
    }
}

crate::wire_codes! {
    /// What happened that concerns an account: the kind of an event in its feed (and, later,
    /// of a webhook delivery or an email).
    pub enum EventKind {
        /// An introduction was proposed to you.
        IntroductionProposed => "introduction.proposed",
        /// An introduction you are a party to was accepted.
        IntroductionAccepted => "introduction.accepted",
        /// Your proposal was declined.
        IntroductionDeclined => "introduction.declined",
        /// An introduction proposed to you was withdrawn.
        IntroductionWithdrawn => "introduction.withdrawn",
        /// A proposal expired without an answer.
        IntroductionExpired => "introduction.expired",
        /// An introduction was closed because its need moved on.
        IntroductionClosed => "introduction.closed",
        /// The other party wrote in an introduction's thread.
        MessageReceived => "message.received",
        /// Your need changed state without you (an accepted introduction, expiry, an admin).
        NeedStatusChanged => "need.status_changed",
        /// A record entered the results of one of your saved searches.
        SavedSearchHit => "saved_search.hit",
    }
}

crate::wire_codes! {
    /// How often an account is sent its unread notifications by email.
    pub enum EmailDigest {
        /// Never.
        Off => "off",
        /// At most once a day: the first event after a quiet day goes out at once, the next
        /// ones wait until a day has passed since the last email.
        Daily => "daily",
        /// Soon after each event (within the mailer's poll interval).
        Immediate => "immediate",
    }
}

impl EventKind {
    /// One line for a person (an email), naming no one.
    pub fn summary(self) -> &'static str {
        match self {
            EventKind::IntroductionProposed => "An introduction was proposed to you",
            EventKind::IntroductionAccepted => "An introduction was accepted",
            EventKind::IntroductionDeclined => "Your proposal was declined",
            EventKind::IntroductionWithdrawn => "An introduction proposed to you was withdrawn",
            EventKind::IntroductionExpired => "A proposal expired without an answer",
            EventKind::IntroductionClosed => "An introduction was closed because its need moved on",
            EventKind::MessageReceived => "A new message in an introduction",
            EventKind::NeedStatusChanged => "Your need changed state",
            EventKind::SavedSearchHit => "A saved search of yours has a new result",
        }
    }

    /// The event of an introduction entering `state`.
    pub fn of_state(state: IntroductionState) -> EventKind {
        match state {
            IntroductionState::Proposed => EventKind::IntroductionProposed,
            IntroductionState::Accepted => EventKind::IntroductionAccepted,
            IntroductionState::Declined => EventKind::IntroductionDeclined,
            IntroductionState::Withdrawn => EventKind::IntroductionWithdrawn,
            IntroductionState::Expired => EventKind::IntroductionExpired,
            IntroductionState::Closed => EventKind::IntroductionClosed,
        }
    }
}

/// Who is told of a change to an introduction: its two parties (the owners of the need and of
/// the platform), but not the account that made the change.
pub fn told(requester: Option<uuid::Uuid>, platform: Option<uuid::Uuid>, actor: Option<uuid::Uuid>) -> Vec<uuid::Uuid> {
    let mut out: Vec<uuid::Uuid> = [requester, platform].into_iter().flatten().filter(|p| Some(*p) != actor).collect();
    out.dedup();
    out
}

/// What a party does to an introduction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IntroductionAction {
    Accept,
    Decline,
    Withdraw,
}

impl IntroductionAction {
    pub fn as_str(self) -> &'static str {
        match self {
            IntroductionAction::Accept => "accept",
            IntroductionAction::Decline => "decline",
            IntroductionAction::Withdraw => "withdraw",
        }
    }

    /// The state the action leads to.
    pub fn target(self) -> IntroductionState {
        match self {
            IntroductionAction::Accept => IntroductionState::Accepted,
            IntroductionAction::Decline => IntroductionState::Declined,
            IntroductionAction::Withdraw => IntroductionState::Withdrawn,
        }
    }

    /// Who may take it: the side that did not propose accepts or declines; the proposer withdraws.
    pub fn taken_by(self, proposed_by: Side) -> Side {
        match self {
            IntroductionAction::Accept | IntroductionAction::Decline => proposed_by.other(),
            IntroductionAction::Withdraw => proposed_by,
        }
    }
}

/// Why an action cannot be taken.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    /// The action is the other side's to take.
    #[error("only the {} side may {} this introduction", allowed.as_str(), action.as_str())]
    WrongSide { action: IntroductionAction, allowed: Side },
    /// The introduction is not in a state the action leaves from.
    #[error("the introduction is {}; {}", from.as_str(), allowed_text(allowed))]
    InvalidTransition { from: IntroductionState, allowed: Vec<IntroductionState> },
}

fn allowed_text(allowed: &[IntroductionState]) -> String {
    if allowed.is_empty() {
        "no action of a party moves it further".to_owned()
    } else {
        let names: Vec<&str> = allowed.iter().map(|s| s.as_str()).collect();
        format!("from here it can become {}", names.join(", "))
    }
}

/// The states a party may move an introduction in `from` to (by accept, decline or withdraw).
pub fn next_states(from: IntroductionState) -> Vec<IntroductionState> {
    match from {
        IntroductionState::Proposed => {
            vec![IntroductionState::Accepted, IntroductionState::Declined, IntroductionState::Withdrawn]
        }
        _ => Vec::new(),
    }
}

/// The state `action` by `actor` moves an introduction in `from`, proposed by `proposed_by`, to.
pub fn transition(
    from: IntroductionState,
    proposed_by: Side,
    actor: Side,
    action: IntroductionAction,
) -> Result<IntroductionState, TransitionError> {
    let allowed = action.taken_by(proposed_by);
    if actor != allowed {
        return Err(TransitionError::WrongSide { action, allowed });
    }
    let target = action.target();
    if !next_states(from).contains(&target) {
        return Err(TransitionError::InvalidTransition { from, allowed: next_states(from) });
    }
    Ok(target)
}

#[cfg(test)]
mod tests {
    use super::IntroductionAction::*;
    use super::IntroductionState::*;
    use super::*;

    #[test]
    fn every_transition_and_refusal() {
        for proposer in [Side::Requester, Side::Platform] {
            let other = proposer.other();
            assert_eq!(transition(Proposed, proposer, other, Accept), Ok(Accepted));
            assert_eq!(transition(Proposed, proposer, other, Decline), Ok(Declined));
            assert_eq!(transition(Proposed, proposer, proposer, Withdraw), Ok(Withdrawn));
            assert_eq!(
                transition(Proposed, proposer, proposer, Accept),
                Err(TransitionError::WrongSide { action: Accept, allowed: other })
            );
            assert_eq!(
                transition(Proposed, proposer, other, Withdraw),
                Err(TransitionError::WrongSide { action: Withdraw, allowed: proposer })
            );
            for from in [Accepted, Declined, Withdrawn, Expired, Closed] {
                for action in [Accept, Decline, Withdraw] {
                    let actor = action.taken_by(proposer);
                    assert_eq!(
                        transition(from, proposer, actor, action),
                        Err(TransitionError::InvalidTransition { from, allowed: Vec::new() }),
                        "{from:?} {action:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn the_parties_but_the_actor_are_told() {
        let (r, p, admin) = (uuid::Uuid::from_u128(1), uuid::Uuid::from_u128(2), uuid::Uuid::from_u128(3));
        assert_eq!(told(Some(r), Some(p), Some(r)), [p]);
        assert_eq!(told(Some(r), Some(p), Some(p)), [r]);
        assert_eq!(told(Some(r), Some(p), None), [r, p]);
        assert_eq!(told(Some(r), Some(p), Some(admin)), [r, p]);
        assert_eq!(told(Some(r), Some(r), None), [r], "one account owning both is told once");
        for s in IntroductionState::ALL {
            assert!(EventKind::of_state(s).as_str().ends_with(s.as_str()));
        }
    }

    #[test]
    fn closed_states_and_names() {
        assert!(!Proposed.is_closed() && !Accepted.is_closed());
        assert!([Declined, Withdrawn, Expired, Closed].iter().all(|s| s.is_closed()));
        for s in IntroductionState::ALL {
            assert_eq!(IntroductionState::parse(s.as_str()), Some(s));
            assert_eq!(serde_json::to_value(s).ok(), Some(serde_json::Value::from(s.as_str())));
        }
        let e = transition(Accepted, Side::Requester, Side::Platform, Decline).unwrap_err();
        assert_eq!(e.to_string(), "the introduction is accepted; no action of a party moves it further");
        assert_eq!(Side::parse("platform"), Some(Side::Platform));
    }
}
