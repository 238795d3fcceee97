//! A lobby call: a command for a lobby's runner and, for joins and resumes, the answer to
//! wait for. The connection's logic makes them; the socket loop (or a test's in-process
//! peer) carries them out with [`Call::perform`] and hands the [`Answer`] back.

use tickwire_protocol::NetId;
use tickwire_protocol::messages::ErrorCode;
use tokio::sync::oneshot;

use crate::lobbies::LobbyHandle;
use crate::lobby::Resume;
use crate::lobby::runner::Command;

/// A command for a lobby and, for joins and resumes, the lobby's answer to wait for.
pub struct Call {
    pub(super) lobby: LobbyHandle,
    pub(super) command: Command,
    pub(super) reply: Reply,
}

pub(super) enum Reply {
    None,
    Join(oneshot::Receiver<Result<NetId, ErrorCode>>),
    Resume(oneshot::Receiver<Resume>),
}

/// What came of a [`Call`].
#[derive(Debug)]
pub enum Answer {
    /// Delivered; no answer expected.
    Sent,
    /// The lobby has closed.
    Gone,
    Joined(Result<NetId, ErrorCode>),
    Resumed(Resume),
}

impl Call {
    /// Sends the command and waits for the lobby's answer, if one is expected.
    pub async fn perform(self) -> Answer {
        if self.lobby.commands.send(self.command).await.is_err() {
            return Answer::Gone;
        }
        match self.reply {
            Reply::None => Answer::Sent,
            Reply::Join(answer) => answer.await.map_or(Answer::Gone, Answer::Joined),
            Reply::Resume(answer) => Answer::Resumed(answer.await.unwrap_or(Resume::Refused)),
        }
    }
}
