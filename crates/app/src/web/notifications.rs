//! The notification list (通知) and its live stream: the count in the navigation and
//! the queues' badges follow new notifications as they come, by server-sent events;
//! without script the list and the counts are there at each page load.

use super::*;
use crate::error::ApiResult;
use axum::http::StatusCode;
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use hotline_store::Notice;
use std::time::Duration;

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/console/notifications", get(list_page))
        .route("/console/notifications/stream", get(stream))
        .route(
            "/static/live.js",
            static_file(JS, include_str!("../../../../static/live.js")),
        )
}

pub(super) struct Line {
    number: String,
    order_id: i64,
    label: &'static str,
    at: String,
    actor: String,
    unread: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "notifications.html")]
pub(super) struct ListPage {
    me: Option<Shell>,
    lines: Vec<Line>,
    next_page: Option<String>,
}

#[derive(Deserialize)]
pub(super) struct ListQuery {
    before: Option<i64>,
}

/// The viewer's notifications, newest first; opening the first page marks them read.
async fn list_page(
    State(state): State<AppState>,
    mut user: ConsoleUser,
    Query(q): Query<ListQuery>,
) -> Response {
    let (org, listing) = match (
        state.org().await,
        crate::notifications::list_for(&state, &user.viewer, q.before, None).await,
    ) {
        (Ok(o), Ok(l)) => (o, l),
        (Err(e), _) | (_, Err(e)) => return page_error(e),
    };
    if q.before.is_none()
        && let Some(newest) = listing.items.first()
    {
        if let Err(e) = crate::notifications::mark_read(&state, &user.viewer, newest.id).await {
            return page_error(e);
        }
        user.unread = user.unread.map(|_| 0);
    }
    let lines = listing
        .items
        .iter()
        .map(|n| Line {
            number: n.number.clone(),
            order_id: n.order_id.get(),
            label: labels::event(n.kind),
            at: when(&n.at),
            actor: if n.actor == "system" {
                "系统".to_owned()
            } else {
                n.actor.clone()
            },
            unread: n.unread,
        })
        .collect();
    ListPage {
        me: Some(shell(&state, &org, &user)),
        lines,
        next_page: listing
            .next_cursor
            .map(|c| format!("/console/notifications?before={c}")),
    }
    .into_response()
}

/// How long one stream stays open: the browser opens it again (and the session is
/// checked again) when it ends.
const STREAM_LIFE: Duration = Duration::from_secs(600);

/// What the page shows that notifications change: the unread count and the count of
/// each queue, by its address.
async fn counts(state: &AppState, viewer: &Viewer) -> ApiResult<serde_json::Value> {
    let org = state.org().await?;
    let unread = crate::notifications::unread_for(state, viewer).await?;
    let queues: serde_json::Map<String, serde_json::Value> =
        super::orders::queue_counts(state, &org, viewer)
            .await?
            .into_iter()
            .filter(|(_, _, count)| !count.is_empty())
            .map(|(href, _, count)| (href.to_owned(), count.into()))
            .collect();
    Ok(serde_json::json!({"unread": unread, "queues": queues}))
}

fn counts_event(value: &serde_json::Value) -> SseEvent {
    SseEvent::default().event("counts").data(value.to_string())
}

/// Live streams one person may keep open at once (a few tabs).
const STREAMS_PER_PERSON: usize = 3;

/// Server-sent events: `counts` at once, and again whenever the viewer's unit is told
/// of something (on PostgreSQL, by whichever server of the installation recorded it),
/// or when notices may have been missed; a comment every 15 seconds keeps proxies from
/// closing the stream. The stream does not count as use of the session (an open tab
/// does not keep it from going idle); before each count it checks the session again,
/// and ends once it is over (logged out, idle, disabled); it ends after ten minutes in
/// any case and the browser opens it again.
async fn stream(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let Some(token) = session_cookie(&headers) else {
        return refusal(StatusCode::UNAUTHORIZED, "请先登录。");
    };
    let Some(viewer) = crate::auth::session_viewer_untouched(&state, &token).await else {
        return refusal(StatusCode::UNAUTHORIZED, "请先登录。");
    };
    let unit = match crate::notifications::unit_of(&state, &viewer).await {
        Ok(Some(u)) => u,
        Ok(None) => return refusal(StatusCode::NOT_FOUND, "您的账号没有通知。"),
        Err(e) => return page_error(e),
    };
    let Some(permit) = state.stream_permit(&viewer.user.username, STREAMS_PER_PERSON) else {
        return refusal(
            StatusCode::SERVICE_UNAVAILABLE,
            "实时通知连接已满，请关闭多余的页面后刷新。",
        );
    };
    let receiver = state.store().subscribe_notices();
    let first = match counts(&state, &viewer).await {
        Ok(c) => c,
        Err(e) => return page_error(e),
    };
    let ends_at = tokio::time::Instant::now() + STREAM_LIFE;
    let start = (Some(first), receiver, permit, state, token, unit);
    let events = futures_util::stream::unfold(
        start,
        move |(pending, mut rx, permit, state, token, unit)| async move {
            if let Some(c) = pending {
                return Some((
                    Ok::<_, std::convert::Infallible>(counts_event(&c)),
                    (None, rx, permit, state, token, unit),
                ));
            }
            loop {
                let notice = tokio::select! {
                    n = rx.recv() => n,
                    _ = tokio::time::sleep_until(ends_at) => return None,
                };
                let relevant = match notice {
                    Ok(Notice::Unit(u)) => u == unit,
                    Ok(Notice::Resync)
                    | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => true,
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => return None,
                };
                if relevant {
                    let viewer = crate::auth::session_viewer_untouched(&state, &token).await?;
                    let c = counts(&state, &viewer).await.ok()?;
                    return Some((Ok(counts_event(&c)), (None, rx, permit, state, token, unit)));
                }
            }
        },
    );
    Sse::new(events)
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
        .into_response()
}
