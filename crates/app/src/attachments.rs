//! Attachments (附件): photos and documents on an order, from the requester (intake,
//! the portal), the hotline's staff and a handling unit (with its reply).
//!
//! What is stored is checked by its bytes, not by what the sender says it is: JPEG,
//! PNG or PDF, at most [`MAX_BYTES`], at most [`MAX_PER_ORDER`] on an order. A photo
//! loses its metadata before it is stored — every JPEG application segment but the
//! JFIF header, the colour profile and Adobe's colour marker (EXIF with its GPS
//! position, XMP, IPTC, comments), every PNG chunk but those that draw the picture —
//! so neither the place it was taken nor the phone that took it travels with it. A
//! PDF is stored as it is.
//!
//! Who sees one is who sees the order, and a requester's attachments only by those
//! who may see the requester: a reporter's (举报) or a confidential order's photos never
//! reach a handling unit. Every upload and every download is audited.

use axum::body::Body;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use hotline_domain::{Order, OrderId, Role};
use hotline_store::{AttachmentContent, AttachmentRecord, AttachmentSource, NewAttachment};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::AppState;
use crate::access::Viewer;
use crate::audit::{self, ClientAddr};
use crate::error::{ApiError, ApiResult};

/// Bytes one attachment may have.
pub const MAX_BYTES: usize = 10 << 20;
/// Attachments one order may have.
pub const MAX_PER_ORDER: usize = 20;

/// The body limit of an upload route.
pub fn upload_limit() -> axum::extract::DefaultBodyLimit {
    axum::extract::DefaultBodyLimit::max(MAX_BYTES + 64 * 1024)
}

/// The kinds of file stored, by their first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FileKind {
    Jpeg,
    Png,
    Pdf,
}

impl FileKind {
    fn sniff(bytes: &[u8]) -> Option<Self> {
        if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
            Some(Self::Jpeg)
        } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
            Some(Self::Png)
        } else if bytes.starts_with(b"%PDF-") {
            Some(Self::Pdf)
        } else {
            None
        }
    }

    fn content_type(self) -> &'static str {
        match self {
            Self::Jpeg => "image/jpeg",
            Self::Png => "image/png",
            Self::Pdf => "application/pdf",
        }
    }

    fn extension(self) -> &'static str {
        match self {
            Self::Jpeg => "jpg",
            Self::Png => "png",
            Self::Pdf => "pdf",
        }
    }
}

/// Whether these bytes are a file the platform stores (by kind and size), before
/// anything is registered with it.
pub fn accepts(bytes: &[u8]) -> bool {
    bytes.len() <= MAX_BYTES && FileKind::sniff(bytes).is_some()
}

/// JPEG segments kept: the picture's own (SOF, DHT, DQT, SOS, DRI, …), the JFIF
/// header, an ICC colour profile and Adobe's colour marker; every other application
/// segment and every comment goes.
fn keeps_jpeg_segment(marker: u8, contents: &[u8]) -> bool {
    match marker {
        0xE0 => contents.starts_with(b"JFIF\0"),
        0xE2 => contents.starts_with(b"ICC_PROFILE\0"),
        0xEE => contents.starts_with(b"Adobe"),
        0xE1 | 0xE3..=0xED | 0xEF | 0xFE => false,
        _ => true,
    }
}

/// PNG chunks kept: those that draw the picture; text, time, EXIF and the rest go.
const PNG_CHUNKS: [&[u8; 4]; 12] = [
    b"IHDR", b"PLTE", b"IDAT", b"IEND", b"tRNS", b"gAMA", b"cHRM", b"sRGB", b"iCCP", b"sBIT",
    b"bKGD", b"pHYs",
];

/// The bytes to store: a photo without its metadata, a PDF as it is.
fn stripped(kind: FileKind, bytes: Vec<u8>) -> ApiResult<Vec<u8>> {
    let unreadable = |_| ApiError::invalid("file", "the image cannot be read");
    Ok(match kind {
        FileKind::Jpeg => stripped_jpeg(&bytes)
            .ok_or_else(|| ApiError::invalid("file", "the image cannot be read"))?,
        FileKind::Png => {
            let mut png = img_parts::png::Png::from_bytes(bytes.into()).map_err(unreadable)?;
            png.chunks_mut().retain(|c| PNG_CHUNKS.contains(&&c.kind()));
            png.encoder().bytes().to_vec()
        }
        FileKind::Pdf => bytes,
    })
}

/// A JPEG rewritten marker by marker: the picture's segments and its entropy-coded
/// scans are kept, application segments only as [`keeps_jpeg_segment`] says —
/// wherever they stand, before the first scan or between a progressive picture's
/// scans — and nothing after the end of the image (where phones put a second
/// picture with its own EXIF, or a motion clip). `None` when it is no readable JPEG.
fn stripped_jpeg(b: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    loop {
        if b.get(i)? != &0xFF {
            return None;
        }
        let marker = *b.get(i + 1)?;
        match marker {
            // Fill bytes before a marker.
            0xFF => i += 1,
            0xD8 | 0x01 | 0xD0..=0xD7 => {
                out.extend_from_slice(&b[i..i + 2]);
                i += 2;
            }
            0xD9 => {
                out.extend_from_slice(&b[i..i + 2]);
                return Some(out);
            }
            _ => {
                let len = usize::from(u16::from_be_bytes([*b.get(i + 2)?, *b.get(i + 3)?]));
                let end = i.checked_add(2)?.checked_add(len)?;
                let segment = b.get(i..end)?;
                if len < 2 {
                    return None;
                }
                if keeps_jpeg_segment(marker, &segment[4..]) {
                    out.extend_from_slice(segment);
                }
                i = end;
                if marker == 0xDA {
                    // The scan's data runs to the next marker that is not a stuffed
                    // byte or a restart.
                    let start = i;
                    while i + 1 < b.len()
                        && !(b[i] == 0xFF && b[i + 1] != 0x00 && !(0xD0..=0xD7).contains(&b[i + 1]))
                    {
                        i += 1;
                    }
                    if i + 1 >= b.len() {
                        return None;
                    }
                    out.extend_from_slice(&b[start..i]);
                }
            }
        }
    }
}

/// A file name as shown: its last part, without control characters, at most 100
/// characters, with the extension of what the file is.
fn clean_name(given: &str, kind: FileKind) -> String {
    let last = given.rsplit(['/', '\\']).next().unwrap_or("");
    let stem: String = last
        .rsplit_once('.')
        .map_or(last, |(stem, _)| stem)
        .chars()
        .filter(|c| !c.is_control() && !is_format_char(*c) && !matches!(c, '"' | '<' | '>'))
        .take(100)
        .collect();
    let stem = stem.trim();
    let stem = if stem.is_empty() { "附件" } else { stem };
    format!("{stem}.{}", kind.extension())
}

/// Invisible formatting characters (zero-width, bidirectional overrides) that make a
/// name read otherwise than it is.
fn is_format_char(c: char) -> bool {
    matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2069}' | '\u{FEFF}')
}

/// An attachment as the API and the console show it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AttachmentView {
    pub id: i64,
    pub order_id: OrderId,
    pub name: String,
    pub content_type: String,
    pub size: u64,
    #[schema(value_type = String)]
    pub source: AttachmentSource,
    pub uploaded_by: String,
    #[schema(value_type = String, format = DateTime)]
    pub at: hotline_domain::Timestamp,
}

fn view(a: AttachmentRecord) -> AttachmentView {
    AttachmentView {
        id: a.id,
        order_id: a.order_id,
        name: a.name,
        content_type: a.content_type,
        size: a.size,
        source: a.source,
        uploaded_by: a.uploaded_by,
        at: a.at,
    }
}

/// What a person's upload to an order counts as: the hotline's staff, or the unit
/// handling it; `None` for anyone else (an inspector reads, a unit not on the order
/// cannot see it).
pub fn source_of(
    org: &crate::access::Org,
    viewer: &Viewer,
    order: &Order,
) -> Option<AttachmentSource> {
    let actor = viewer.actor_for(org, order);
    let staff_roles = [
        Role::Operator,
        Role::VendorOperator,
        Role::Dispatcher,
        Role::Supervisor,
    ];
    if actor.hotline_staff && staff_roles.iter().any(|r| actor.roles.contains(r)) {
        return Some(AttachmentSource::Staff);
    }
    let on_it = actor
        .unit
        .as_ref()
        .is_some_and(|u| order.unit.as_ref() == Some(u) || order.co_units.contains(u));
    (actor.roles.contains(&Role::Handler) && on_it).then_some(AttachmentSource::Unit)
}

/// Stores an upload of a person on an order they may see and add to.
pub async fn add(
    state: &AppState,
    viewer: &Viewer,
    addr: &ClientAddr,
    order: OrderId,
    name: &str,
    bytes: Vec<u8>,
) -> ApiResult<AttachmentView> {
    let org = state.org().await?;
    let order = crate::orders::visible_order(state, viewer, &org, order).await?;
    let Some(source) = source_of(&org, viewer, &order) else {
        return Err(ApiError::forbidden(
            "your role does not add attachments to this order",
        ));
    };
    let record = |what| {
        audit::by(
            viewer,
            addr,
            state,
            "attachment.add",
            Some(format!("order:{}", order.id)),
            what,
        )
    };
    store(
        state,
        &order,
        source,
        &viewer.user.username,
        viewer.user.unit.clone(),
        name,
        bytes,
        record,
    )
    .await
}

/// Stores a requester's upload (the portal), with the order just registered.
pub async fn add_from_requester(
    state: &AppState,
    addr: &ClientAddr,
    order: &Order,
    name: &str,
    bytes: Vec<u8>,
) -> ApiResult<AttachmentView> {
    let record = |what| {
        audit::anonymous(
            "requester",
            addr,
            state,
            "attachment.add",
            Some(format!("order:{}", order.id)),
            what,
        )
    };
    store(
        state,
        order,
        AttachmentSource::Requester,
        "requester",
        None,
        name,
        bytes,
        record,
    )
    .await
}

#[allow(clippy::too_many_arguments)]
async fn store(
    state: &AppState,
    order: &Order,
    source: AttachmentSource,
    by: &str,
    unit: Option<hotline_domain::UnitCode>,
    name: &str,
    bytes: Vec<u8>,
    record: impl FnOnce(serde_json::Value) -> hotline_domain::audit::AuditRecord,
) -> ApiResult<AttachmentView> {
    if !order.status.is_open() {
        return Err(ApiError::conflict(
            "order_closed",
            "a closed or merged order takes no attachments",
        ));
    }
    if bytes.len() > MAX_BYTES {
        return Err(too_large());
    }
    let Some(kind) = FileKind::sniff(&bytes) else {
        return Err(ApiError::invalid(
            "file",
            "a JPEG or PNG photo, or a PDF document",
        ));
    };
    let existing = state.store().attachments(order.id).await?;
    if existing.len() >= MAX_PER_ORDER {
        return Err(ApiError::invalid(
            "file",
            format!("an order has at most {MAX_PER_ORDER} attachments"),
        ));
    }
    let bytes = tokio::task::spawn_blocking(move || stripped(kind, bytes))
        .await
        .map_err(ApiError::internal)??;
    let sha256 = hex::encode(Sha256::digest(&bytes));
    let new = NewAttachment {
        order_id: order.id,
        name: clean_name(name, kind),
        content_type: kind.content_type().to_owned(),
        sha256,
        source,
        uploaded_by: by.to_owned(),
        unit,
        at: state.now(),
    };
    let detail = serde_json::json!({"number": order.number, "type": kind.content_type(), "size": bytes.len(), "source": source.as_str()});
    let stored = state
        .store()
        .add_attachment(new, bytes, record(detail))
        .await?;
    Ok(view(stored))
}

fn too_large() -> ApiError {
    ApiError::new(
        axum::http::StatusCode::PAYLOAD_TOO_LARGE,
        "file_too_large",
        format!("an attachment has at most {} MiB", MAX_BYTES >> 20),
    )
}

/// Whether the viewer of an order may see this attachment: a requester's only by
/// those who may see the requester; and where the requester is hidden from the viewer
/// (a handling unit on a report or a confidential order), nothing the hotline added
/// either — it may be what the reporter sent by other means — only the units' own.
fn shows(a: &AttachmentRecord, requester_hidden: bool) -> bool {
    a.purged_at.is_none() && (!requester_hidden || a.source == AttachmentSource::Unit)
}

/// The attachments of an order the viewer may see, oldest first.
pub async fn list_for(
    state: &AppState,
    viewer: &Viewer,
    order: OrderId,
) -> ApiResult<Vec<AttachmentView>> {
    let org = state.org().await?;
    let order = crate::orders::visible_order(state, viewer, &org, order).await?;
    let hidden = !viewer.sees_identity(&org, &order);
    Ok(state
        .store()
        .attachments(order.id)
        .await?
        .into_iter()
        .filter(|a| shows(a, hidden))
        .map(view)
        .collect())
}

/// An attachment's bytes, as a response read in pieces, if the viewer may see it;
/// the download is audited. Anything they may not see is not found.
pub async fn download(
    state: &AppState,
    viewer: &Viewer,
    addr: &ClientAddr,
    id: i64,
) -> ApiResult<Response> {
    let store = state.store();
    let a = store
        .attachment(id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let org = state.org().await?;
    let order = crate::orders::visible_order(state, viewer, &org, a.order_id).await?;
    if !shows(&a, !viewer.sees_identity(&org, &order)) {
        return Err(ApiError::not_found());
    }
    let content = store
        .attachment_content(id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let detail = serde_json::json!({"number": order.number, "size": a.size});
    let record = audit::by(
        viewer,
        addr,
        state,
        "attachment.download",
        Some(format!("attachment:{id}")),
        detail,
    );
    store.append_audit(record).await?;
    Ok(respond(&a, content).await)
}

/// The response: images shown inline, documents downloaded; the name as given, in
/// UTF-8 (RFC 6266), beside a plain one.
async fn respond(a: &AttachmentRecord, content: AttachmentContent) -> Response {
    let body = match content {
        AttachmentContent::Bytes(b) => Body::from(b),
        AttachmentContent::File(path) => match tokio::fs::File::open(&path).await {
            Ok(file) => Body::from_stream(read_in_pieces(file)),
            Err(e) => return ApiError::internal(e).into_response(),
        },
    };
    let disposition = if a.content_type.starts_with("image/") {
        "inline"
    } else {
        "attachment"
    };
    let ext = a.name.rsplit('.').next().unwrap_or("bin");
    let encoded: String =
        percent_encoding::utf8_percent_encode(&a.name, percent_encoding::NON_ALPHANUMERIC)
            .to_string();
    let header_value = format!(
        "{disposition}; filename=\"attachment-{}.{ext}\"; filename*=UTF-8''{encoded}",
        a.id
    );
    let mut resp = body.into_response();
    let h = resp.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&a.content_type) {
        h.insert(header::CONTENT_TYPE, v);
    }
    if let Ok(v) = HeaderValue::from_str(&header_value) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(a.size));
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    resp
}

/// A file as a stream of 64 KiB pieces: a download never holds the whole file.
fn read_in_pieces(
    file: tokio::fs::File,
) -> impl futures_util::Stream<Item = std::io::Result<Vec<u8>>> + Send {
    futures_util::stream::unfold(Some(file), |file| async move {
        use tokio::io::AsyncReadExt;
        let mut file = file?;
        let mut buf = vec![0u8; 64 * 1024];
        match file.read(&mut buf).await {
            Ok(0) => None,
            Ok(n) => {
                buf.truncate(n);
                Some((Ok(buf), Some(file)))
            }
            Err(e) => Some((Err(e), None)),
        }
    })
}

/// Retention: every attachment of these orders goes with the requester's personal
/// data (a photo of the place or a unit's scan may hold it as well).
pub async fn purge_requesters(state: &AppState, orders: &[OrderId]) -> ApiResult<u64> {
    if orders.is_empty() {
        return Ok(0);
    }
    let mut n = 0;
    for source in [
        AttachmentSource::Requester,
        AttachmentSource::Staff,
        AttachmentSource::Unit,
    ] {
        n += state
            .store()
            .purge_attachments(orders, source, state.now())
            .await?;
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_keep_their_last_part_and_take_the_extension_of_what_the_file_is() {
        assert_eq!(
            clean_name("C:\\Users\\王\\现场照片.JPG", FileKind::Jpeg),
            "现场照片.jpg"
        );
        assert_eq!(clean_name("../../etc/passwd", FileKind::Pdf), "passwd.pdf");
        assert_eq!(clean_name("a\u{1}b\".png", FileKind::Png), "ab.png");
        assert_eq!(clean_name("", FileKind::Png), "附件.png");
    }

    #[test]
    fn jpeg_segments_with_metadata_go_and_the_picture_stays() {
        assert!(!keeps_jpeg_segment(0xE1, b"Exif\0\0"));
        assert!(!keeps_jpeg_segment(0xE1, b"http://ns.adobe.com/xap/1.0/\0"));
        assert!(!keeps_jpeg_segment(0xED, b"Photoshop 3.0\0"));
        assert!(!keeps_jpeg_segment(0xFE, b"taken at home"));
        assert!(keeps_jpeg_segment(0xE0, b"JFIF\0"));
        assert!(keeps_jpeg_segment(0xE2, b"ICC_PROFILE\0"));
        assert!(keeps_jpeg_segment(0xDB, b""));
        assert!(keeps_jpeg_segment(0xC0, b""));
    }

    /// EXIF between a progressive picture's scans and a second picture after the end
    /// of the first go as well.
    #[test]
    fn metadata_after_the_first_scan_and_after_the_end_goes_too() {
        let segment = |marker: u8, body: &[u8]| {
            let mut s = vec![0xFF, marker];
            s.extend_from_slice(&((body.len() + 2) as u16).to_be_bytes());
            s.extend_from_slice(body);
            s
        };
        let jpeg = [
            vec![0xFF, 0xD8],
            segment(0xE0, b"JFIF\0\x01\x01\0\0\x01\0\x01\0\0"),
            segment(0xE1, b"Exif\0\0GPS before"),
            segment(0xDB, &[7; 65]),
            segment(0xDA, &[1, 1, 0, 0, 0x3F, 0]),
            vec![0x12, 0xFF, 0x00, 0x34, 0xFF, 0xD0, 0x56],
            segment(0xE1, b"Exif\0\0GPS between scans"),
            segment(0xDA, &[1, 1, 0, 0, 0x3F, 0]),
            vec![0x78],
            vec![0xFF, 0xD9],
            vec![0xFF, 0xD8],
            segment(0xE1, b"Exif\0\0GPS in a trailer"),
            vec![0xFF, 0xD9],
        ]
        .concat();
        let out = stripped_jpeg(&jpeg).unwrap();
        let has = |needle: &[u8]| out.windows(needle.len()).any(|w| w == needle);
        assert!(!has(b"GPS"), "{:?}", String::from_utf8_lossy(&out));
        assert!(
            has(&[0x12, 0xFF, 0x00, 0x34, 0xFF, 0xD0, 0x56])
                && has(&[0x78, 0xFF, 0xD9])
                && has(b"JFIF")
        );
        assert!(out.ends_with(&[0x78, 0xFF, 0xD9]), "nothing after the end");
        assert_eq!(stripped_jpeg(&jpeg[..20]), None, "cut short: unreadable");
    }
}

pub mod api {
    //! `POST/GET /api/v1/orders/{id}/attachments`, `GET /api/v1/attachments/{id}`.

    use super::*;
    use axum::extract::{Path, State};
    use axum::http::StatusCode;
    use axum::routing::get;
    use axum::{Json, Router};
    use serde::Deserialize;

    use crate::auth::CurrentUser;
    use crate::extract::{ApiBody, ApiQuery};
    use crate::orders::order_id;

    pub fn router() -> Router<AppState> {
        Router::new()
            .route(
                "/api/v1/orders/{id}/attachments",
                get(list).post(upload).layer(upload_limit()),
            )
            .route("/api/v1/attachments/{id}", get(fetch))
    }

    #[derive(Debug, Deserialize, utoipa::IntoParams)]
    pub struct UploadQuery {
        /// The file's name as shown (its extension follows what the file is).
        pub name: Option<String>,
    }

    #[derive(Serialize, utoipa::ToSchema)]
    pub struct Items {
        pub items: Vec<AttachmentView>,
    }

    async fn upload(
        State(state): State<AppState>,
        CurrentUser(viewer): CurrentUser,
        addr: ClientAddr,
        Path(id): Path<String>,
        ApiQuery(q): ApiQuery<UploadQuery>,
        ApiBody(body): ApiBody,
    ) -> ApiResult<(StatusCode, Json<AttachmentView>)> {
        let order = order_id(&id)?;
        let name = q.name.unwrap_or_default();
        let added = add(&state, &viewer, &addr, order, &name, body.to_vec()).await?;
        Ok((StatusCode::CREATED, Json(added)))
    }

    async fn list(
        State(state): State<AppState>,
        CurrentUser(viewer): CurrentUser,
        Path(id): Path<String>,
    ) -> ApiResult<Json<Items>> {
        let items = list_for(&state, &viewer, order_id(&id)?).await?;
        Ok(Json(Items { items }))
    }

    async fn fetch(
        State(state): State<AppState>,
        CurrentUser(viewer): CurrentUser,
        addr: ClientAddr,
        Path(id): Path<String>,
    ) -> ApiResult<Response> {
        let id = id.parse::<i64>().map_err(|_| ApiError::not_found())?;
        download(&state, &viewer, &addr, id).await
    }
}
