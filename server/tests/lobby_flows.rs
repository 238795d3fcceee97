//! Hosting and joining lobbies in process: quick join, private lobbies, full lobbies, the
//! seat a dropped player leaves, the listing's hosts, and what a lobby refuses of a client
//! built for another game or of an input out of range. Real connection logic and real
//! lobbies, no sockets, tokio's clock paused and stepped (tick by tick) by the test.

use anyhow::Result;
use tickwire_protocol::messages::{ClientMsg, ErrorCode, LobbyInfo, LobbyTarget, ServerMsg};
use tickwire_server::kit::mover::Body;
use tickwire_server::lobbies::{NewLobby, PRIVATE_CODE_LEN};
use tickwire_server::testing::peer::{Peer, app, pass};

/// The stick at rest: an arena input that moves nobody.
const REST: [i32; 2] = [0, 0];

/// Lobby `id` as `listing` shows it: (host, players, max players).
fn listed(listing: &[LobbyInfo], id: u32) -> Option<(String, u8, u8)> {
    listing
        .iter()
        .find(|l| l.id == id)
        .map(|l| (l.host.clone(), l.players, l.max_players))
}

#[tokio::test(start_paused = true)]
async fn quick_join_fills_a_lobby_then_opens_another() -> Result<()> {
    let app = app(&[])?;
    let mut host = Peer::player(&app, "host").await?;
    let small = host.create("small", 2, false).await?;
    let mut second = Peer::player(&app, "second").await?;
    assert_eq!(
        second.quick_join().await?.lobby.id,
        small.lobby.id,
        "quick join picks the lobby with a free seat"
    );
    let mut third = Peer::player(&app, "third").await?;
    let other = third.quick_join().await?;
    assert_ne!(
        other.lobby.id, small.lobby.id,
        "a full lobby is skipped: a new one opens"
    );
    assert_eq!(
        (other.lobby.name.as_str(), other.lobby.host.as_str()),
        ("third's lobby", "third"),
        "quick join's lobby is named after the player who opened it"
    );
    let listing = third.lobbies().await?;
    assert_eq!(listing.len(), 2, "{listing:?}");
    assert_eq!(
        listed(&listing, small.lobby.id),
        Some(("host".into(), 2, 2)),
        "the small lobby is listed full"
    );
    assert_eq!(
        listed(&listing, other.lobby.id),
        Some(("third".into(), 1, other.lobby.max_players)),
    );
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn quick_join_leaves_a_just_opened_lobby_to_its_creator() -> Result<()> {
    let app = app(&[])?;
    // Opened, and its creator's join not yet arrived: nobody holds a seat.
    let opened = app.lobbies.create(NewLobby {
        game: String::new(),
        name: "opened".into(),
        map: "arena".into(),
        max_players: 2,
        private: false,
    });
    let opened = opened.map_err(|code| anyhow::anyhow!("{code:?}"))?;
    let mut quick = Peer::player(&app, "quick").await?;
    let joined = quick.quick_join().await?;
    assert_ne!(
        joined.lobby.id, opened.id,
        "a burst of quick joins must not fill the seat its creator is on the way to"
    );
    // Once someone holds a seat there, quick join sends players to it.
    let mut host = Peer::player(&app, "host").await?;
    host.join(LobbyTarget::Id(opened.id)).await?;
    let mut next = Peer::player(&app, "next").await?;
    assert_eq!(
        next.quick_join().await?.lobby.id,
        opened.id,
        "the fullest with room"
    );
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn private_lobbies_are_unlisted_and_joinable_by_code() -> Result<()> {
    let app = app(&[])?;
    let mut host = Peer::player(&app, "host").await?;
    let joined = host.create("secret", 4, true).await?;
    assert!(joined.private);
    assert_eq!(
        joined.code.len(),
        PRIVATE_CODE_LEN,
        "a long code: {}",
        joined.code
    );

    let mut guest = Peer::player(&app, "guest").await?;
    assert!(
        guest.lobbies().await?.is_empty(),
        "private lobbies are not listed"
    );
    // Not by id: ids are guessable.
    guest
        .request(&ClientMsg::JoinLobby {
            target: LobbyTarget::Id(joined.lobby.id),
            schema: None,
        })
        .await?;
    assert_eq!(guest.expect_error().await?, ErrorCode::UnknownLobby);
    // Nor by quick join, though it has free seats.
    let mut quick = Peer::player(&app, "quick").await?;
    assert_ne!(quick.quick_join().await?.lobby.id, joined.lobby.id);
    // By code, in any case.
    let by_code = guest
        .join(LobbyTarget::Code(joined.code.to_lowercase()))
        .await?;
    assert_eq!(by_code.lobby.id, joined.lobby.id);
    assert_eq!(by_code.lobby.host, "host");
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn a_full_lobby_refuses_the_next_player() -> Result<()> {
    let app = app(&[])?;
    let mut a = Peer::player(&app, "a").await?;
    let lobby = a.create("pair", 2, false).await?;
    let mut b = Peer::player(&app, "b").await?;
    b.join(LobbyTarget::Id(lobby.lobby.id)).await?;
    let mut c = Peer::player(&app, "c").await?;
    c.request(&ClientMsg::JoinLobby {
        target: LobbyTarget::Code(lobby.code.clone()),
        schema: None,
    })
    .await?;
    let (code, message) = c.expect_refusal().await?;
    assert_eq!(code, ErrorCode::LobbyFull);
    assert!(
        message.contains("pair") && message.contains("full"),
        "{message}"
    );
    assert!(c.view.joined.is_none(), "not seated");
    // Once a seat is free, the same request succeeds.
    b.leave().await?;
    assert_eq!(
        c.join(LobbyTarget::Code(lobby.code)).await?.lobby.id,
        lobby.lobby.id
    );
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn a_dropped_connection_frees_the_seat_after_the_reconnect_grace() -> Result<()> {
    // Half a second at 30 Hz: the seat is held 15 ticks.
    const GRACE_TICKS: u32 = 15;
    let app = app(&["--reconnect-grace", "0.5"])?;
    let mut a = Peer::player(&app, "a").await?;
    let lobby = a.create("room", 2, false).await?;
    let mut b = Peer::player(&app, "b").await?;
    let b_joined = b.join(LobbyTarget::Id(lobby.lobby.id)).await?;
    a.hold(&REST, 2).await?;
    assert!(a.get::<Body>(b_joined.entity).is_some(), "a sees b");
    let b_id = b.client_id;
    drop(b);
    let dropped_at = a.tick();

    a.hold(&REST, 1).await?;
    assert_eq!(a.connected(b_id), Some(false), "b is shown reconnecting");
    assert!(
        a.get::<Body>(b_joined.entity).is_some(),
        "b's player stays while the seat is held"
    );
    let mut c = Peer::player(&app, "c").await?;
    c.request(&ClientMsg::JoinLobby {
        target: LobbyTarget::Id(lobby.lobby.id),
        schema: None,
    })
    .await?;
    assert_eq!(
        c.expect_error().await?,
        ErrorCode::LobbyFull,
        "the seat is held"
    );

    let mut last_seen = a.tick();
    while a.get::<Body>(b_joined.entity).is_some() {
        assert!(
            a.tick() < dropped_at + 3 * GRACE_TICKS,
            "the seat is never freed"
        );
        last_seen = a.tick();
        a.hold(&REST, 1).await?;
    }
    assert_eq!(
        last_seen - dropped_at,
        GRACE_TICKS,
        "b's player stays for the whole grace"
    );
    assert_eq!(a.tick(), last_seen + 1, "and is gone the tick after");
    assert_eq!(a.connected(b_id), None, "the roster no longer lists b");
    c.join(LobbyTarget::Id(lobby.lobby.id)).await?;
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn the_listing_names_each_lobbys_host_and_the_next_host_once_the_host_leaves() -> Result<()> {
    let app = app(&["--empty-lobby-grace", "1"])?;
    let mut ada = Peer::player(&app, "Ada").await?;
    let mut bo = Peer::player(&app, "Bo").await?;
    let first = ada.create("Friday night", 4, false).await?;
    assert_eq!(first.lobby.host, "Ada", "Joined names the host");
    let second = bo.create("Friday night", 4, false).await?;
    // Two lobbies of one name are told apart by their hosts.
    let mut cy = Peer::player(&app, "Cy").await?;
    let listing = cy.lobbies().await?;
    assert_eq!(listed(&listing, first.lobby.id), Some(("Ada".into(), 1, 4)));
    assert_eq!(listed(&listing, second.lobby.id), Some(("Bo".into(), 1, 4)));

    assert_eq!(
        cy.join(LobbyTarget::Id(first.lobby.id)).await?.lobby.host,
        "Ada"
    );
    ada.leave().await?;
    // Cy was there longest: Cy hosts now, in the roster and in the listing.
    let host = cy
        .recv_until(|m| match m {
            ServerMsg::Roster { host, players } if players.len() == 1 => Some(*host),
            _ => None,
        })
        .await?;
    assert_eq!(host, cy.client_id, "Cy's roster says Cy hosts");
    let listing = bo.lobbies().await?;
    assert_eq!(
        listed(&listing, first.lobby.id),
        Some(("Cy".into(), 1, 4)),
        "the new host is listed"
    );

    // Once the last player leaves, the lobby is listed empty, with no host, for its grace;
    // then it closes. Bo's lobby goes on.
    cy.leave().await?;
    let listing = bo.lobbies().await?;
    assert_eq!(
        listed(&listing, first.lobby.id),
        Some((String::new(), 0, 4)),
        "an empty lobby has no host"
    );
    bo.hold(&REST, 31).await?;
    let listing = bo.lobbies().await?;
    assert_eq!(
        listed(&listing, first.lobby.id),
        None,
        "closed after its grace"
    );
    assert_eq!(listed(&listing, second.lobby.id), Some(("Bo".into(), 1, 4)));
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn a_client_built_for_another_schema_is_refused_clearly() -> Result<()> {
    let app = app(&[])?;
    let mut host = Peer::player(&app, "Host").await?;
    let lobby = host.create("room", 8, false).await?;
    let mut other = Peer::player(&app, "Old").await?;
    other
        .request(&ClientMsg::JoinLobby {
            target: LobbyTarget::Id(lobby.lobby.id),
            schema: Some(lobby.schema_hash ^ 1),
        })
        .await?;
    let (code, message) = other.expect_refusal().await?;
    assert_eq!(code, ErrorCode::SchemaMismatch);
    assert!(message.contains("arena"), "names the game: {message}");
    assert!(
        message.contains(&format!("{:016x}", lobby.schema_hash)),
        "names the lobby's schema: {message}"
    );
    assert!(other.view.joined.is_none(), "not seated");
    other
        .request(&ClientMsg::JoinLobby {
            target: LobbyTarget::Id(lobby.lobby.id),
            schema: Some(lobby.schema_hash),
        })
        .await?;
    assert_eq!(other.expect_joined().await?.schema_hash, lobby.schema_hash);
    let mut quick = Peer::player(&app, "Quick").await?;
    quick
        .request(&ClientMsg::QuickJoin {
            game: "tag".into(),
            schema: Some(lobby.schema_hash),
        })
        .await?;
    let (code, message) = quick.expect_refusal().await?;
    assert_eq!(code, ErrorCode::SchemaMismatch);
    assert!(message.contains("tag"), "names the game: {message}");
    assert!(quick.view.joined.is_none(), "no tag lobby opened for it");
    quick
        .request(&ClientMsg::CreateLobby {
            game: "chess".into(),
            name: "x".into(),
            map: "arena".into(),
            max_players: 2,
            private: false,
        })
        .await?;
    assert_eq!(quick.expect_error().await?, ErrorCode::UnknownGame);
    assert_eq!(
        quick.lobbies().await?.len(),
        1,
        "only the arena lobby is open"
    );
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn an_input_out_of_range_is_refused_and_changes_nothing() -> Result<()> {
    let app = app(&[])?;
    let mut c = Peer::player(&app, "Ada").await?;
    let joined = c.create("room", 8, false).await?;
    c.hold(&REST, 3).await?;
    let (before, seq) = (
        c.get::<Body>(joined.entity).expect("me"),
        c.last_input_seq(),
    );
    for bad in [&[500, 0][..], &[0, -128], &[1, 2, 3], &[]] {
        c.input(bad).await?;
        let (code, message) = c.expect_refusal().await?;
        assert_eq!(code, ErrorCode::InvalidInput, "{bad:?}");
        assert!(!message.is_empty());
    }
    c.next_snapshot().await?;
    c.next_snapshot().await?;
    assert_eq!(c.get::<Body>(joined.entity), Some(before), "nothing moved");
    assert_eq!(c.last_input_seq(), seq, "no refused input was applied");
    // The connection goes on: the next good input moves the player.
    c.hold(&[127, 0], 2).await?;
    let after = c.get::<Body>(joined.entity).expect("me");
    assert!(after.x > before.x, "{before:?} then {after:?}");
    assert_eq!(c.last_input_seq(), seq + 4 + 2);
    Ok(())
}

/// A lobby runs on the test's clock: a second of it is 30 ticks, none skipped.
#[tokio::test(start_paused = true)]
async fn a_lobby_ticks_thirty_times_in_a_second_of_the_stepped_clock() -> Result<()> {
    let app = app(&[])?;
    let mut c = Peer::player(&app, "Ada").await?;
    c.create("room", 2, false).await?;
    let start = c.next_snapshot().await?;
    pass(std::time::Duration::from_secs(1)).await;
    let now = c.next_snapshot().await?;
    assert_eq!(now - start, 30);
    Ok(())
}
