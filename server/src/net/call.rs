//! A call: a command for a lobby's runner and, for joins and resumes, the answer to wait
//! for; or, in cluster mode, a request to the shared directory. The connection's logic
//! makes them; the socket loop (or a test's in-process peer) carries them out with
//! [`Call::perform`] and hands the [`Answer`] back.

use tickwire_protocol::NetId;
use tickwire_protocol::messages::ErrorCode;
use tokio::sync::oneshot;

use crate::cluster::redirect::{ClusterAnswer, ClusterCall};
use crate::lobbies::LobbyHandle;
use crate::lobby::Resume;
use crate::lobby::runner::Command;

/// A command for a lobby and, for joins and resumes, the lobby's answer to wait for; or a
/// cluster request.
pub struct Call(Inner);

enum Inner {
    Lobby {
        lobby: LobbyHandle,
        command: Command,
        reply: Reply,
    },
    Cluster(ClusterCall),
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
    Cluster(ClusterAnswer),
}

impl Call {
    pub(super) fn lobby(lobby: LobbyHandle, command: Command, reply: Reply) -> Self {
        Self(Inner::Lobby {
            lobby,
            command,
            reply,
        })
    }

    pub(super) fn cluster(call: ClusterCall) -> Self {
        Self(Inner::Cluster(call))
    }

    /// Sends the command and waits for the lobby's answer, if one is expected (or waits for
    /// the cluster's).
    pub async fn perform(self) -> Answer {
        let (lobby, command, reply) = match self.0 {
            Inner::Cluster(call) => return Answer::Cluster(call.await),
            Inner::Lobby {
                lobby,
                command,
                reply,
            } => (lobby, command, reply),
        };
        if lobby.commands.send(command).await.is_err() {
            return Answer::Gone;
        }
        match reply {
            Reply::None => Answer::Sent,
            Reply::Join(answer) => answer.await.map_or(Answer::Gone, Answer::Joined),
            Reply::Resume(answer) => Answer::Resumed(answer.await.unwrap_or(Resume::Refused)),
        }
    }
}
