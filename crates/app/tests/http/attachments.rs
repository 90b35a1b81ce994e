//! Attachments (issue 17, point 2): photos and documents on an order, checked by their
//! bytes, stored without their metadata, bounded, read only by those who may see the
//! order (a requester's only by those who may see the requester), every download
//! audited.

use crate::common::*;
use axum::http::StatusCode;
use img_parts::jpeg::{Jpeg, JpegSegment, markers};
use img_parts::png::{Png, PngChunk};
use serde_json::json;

/// A JPEG with a JFIF header, an EXIF segment holding a GPS position, a comment and a
/// quantisation table standing for the picture.
pub fn photo_with_gps() -> Vec<u8> {
    let mut jpeg = Jpeg::from_bytes(
        [
            &[0xFF, 0xD8][..],
            &[0xFF, 0xDA, 0x00, 0x08, 0x01, 0x01, 0x00, 0x00, 0x3F, 0x00],
            &[0x12, 0x34, 0x56],
            &[0xFF, 0xD9],
        ]
        .concat()
        .into(),
    )
    .unwrap();
    let segments = jpeg.segments_mut();
    segments.insert(
        0,
        JpegSegment::new_with_contents(
            markers::APP0,
            b"JFIF\0\x01\x01\0\0\x01\0\x01\0\0"[..].into(),
        ),
    );
    segments.insert(
        1,
        JpegSegment::new_with_contents(
            markers::APP1,
            b"Exif\0\0GPSLatitude 30.6598 GPSLongitude 104.0633"[..].into(),
        ),
    );
    segments.insert(
        2,
        JpegSegment::new_with_contents(markers::COM, b"taken at my home"[..].into()),
    );
    segments.insert(
        3,
        JpegSegment::new_with_contents(markers::DQT, vec![7u8; 65].into()),
    );
    jpeg.encoder().bytes().to_vec()
}

/// A 1×1 PNG with a text chunk naming a place.
fn png_with_text() -> Vec<u8> {
    let one_pixel: &[u8] = &[
        0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44,
        0x52, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F,
        0x15, 0xC4, 0x89, 0x00, 0x00, 0x00, 0x0A, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0x00,
        0x01, 0x00, 0x00, 0x05, 0x00, 0x01, 0x0D, 0x0A, 0x2D, 0xB4, 0x00, 0x00, 0x00, 0x00, 0x49,
        0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82,
    ];
    let mut png = Png::from_bytes(one_pixel.to_vec().into()).unwrap();
    png.chunks_mut().insert(
        1,
        PngChunk::new(*b"tEXt", b"Location\0Jinjiang home"[..].into()),
    );
    png.encoder().bytes().to_vec()
}

async fn upload(app: &TestApp, user: &str, order: i64, name: &str, bytes: Vec<u8>) -> Response {
    let token = app.token(user).await;
    app.send_bytes(
        "POST",
        &format!("/api/v1/orders/{order}/attachments?name={name}"),
        Some(&token),
        bytes,
    )
    .await
}

async fn fetch(app: &TestApp, user: &str, id: i64) -> Response {
    app.as_user(user, "GET", &format!("/api/v1/attachments/{id}"), None)
        .await
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

on_both_backends!(
    photos_lose_their_metadata_and_only_those_who_see_the_order_read_them,
    |app: TestApp| async move {
        app.set_time("2026-03-02T09:00:00+08:00");
        let id = app.complaint().await;
        app.ok("dispatcher", id, "dispatch", json!({"unit": "cd-jt"}))
            .await;

        let r = upload(
            &app,
            "dispatcher",
            id,
            "%E7%8E%B0%E5%9C%BA.JPG",
            photo_with_gps(),
        )
        .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        assert_eq!(r.body["name"], "现场.jpg");
        assert_eq!(r.body["content_type"], "image/jpeg");
        assert_eq!(r.body["source"], "staff");
        let photo = r.body["id"].as_i64().unwrap();
        let r = upload(&app, "handler", id, "map.png", png_with_text()).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        assert_eq!(r.body["source"], "unit");
        let map = r.body["id"].as_i64().unwrap();

        let got = fetch(&app, "handler", photo).await;
        assert_eq!(got.status, StatusCode::OK);
        assert!(got.bytes.starts_with(&[0xFF, 0xD8]));
        for gone in [&b"Exif"[..], b"GPSLatitude", b"taken at my home"] {
            assert!(
                !contains(&got.bytes, gone),
                "{}",
                String::from_utf8_lossy(gone)
            );
        }
        assert!(
            contains(&got.bytes, b"JFIF") && contains(&got.bytes, &[7u8; 65]),
            "the picture stays"
        );
        let got = fetch(&app, "dispatcher", map).await;
        assert!(got.bytes.starts_with(b"\x89PNG") && contains(&got.bytes, b"IDAT"));
        assert!(!contains(&got.bytes, b"Jinjiang home"));

        // Whoever cannot see the order finds nothing; a reader cannot add.
        assert_eq!(
            fetch(&app, "handler2", photo).await.status,
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            fetch(&app, "myhandler", photo).await.status,
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            upload(&app, "handler2", id, "x.jpg", photo_with_gps())
                .await
                .status,
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            upload(&app, "inspector", id, "x.jpg", photo_with_gps())
                .await
                .status,
            StatusCode::FORBIDDEN
        );
        let listed = app
            .as_user(
                "handler",
                "GET",
                &format!("/api/v1/orders/{id}/attachments"),
                None,
            )
            .await;
        assert_eq!(
            listed.body["items"].as_array().unwrap().len(),
            2,
            "{}",
            listed.text
        );

        // Not a photo or a PDF, or too large: refused, nothing stored.
        let r = upload(&app, "dispatcher", id, "notes.txt", b"just text".to_vec()).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
        let mut big = photo_with_gps();
        big.resize(10 * 1024 * 1024 + 1, 0);
        let r = upload(&app, "dispatcher", id, "big.jpg", big).await;
        assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", r.text);
        let pdf = upload(
            &app,
            "dispatcher",
            id,
            "reply.pdf",
            b"%PDF-1.4\n%%EOF\n".to_vec(),
        )
        .await;
        assert_eq!(pdf.status, StatusCode::CREATED, "{}", pdf.text);
        let listed = app
            .as_user(
                "dispatcher",
                "GET",
                &format!("/api/v1/orders/{id}/attachments"),
                None,
            )
            .await;
        assert_eq!(listed.body["items"].as_array().unwrap().len(), 3);

        let audit = app
            .as_user(
                "admin",
                "GET",
                "/api/v1/audit?action=attachment.download",
                None,
            )
            .await;
        assert_eq!(
            audit.body["items"].as_array().unwrap().len(),
            2,
            "{}",
            audit.text
        );
        let audit = app
            .as_user("admin", "GET", "/api/v1/audit?action=attachment.add", None)
            .await;
        assert_eq!(audit.body["items"].as_array().unwrap().len(), 3);
        assert!(!audit.text.contains("现场"), "no file names in the trail");

        // On a report, what the hotline adds may be what the reporter sent by other
        // means: the unit sees only the units' own attachments.
        let r = app.create("operator", order_body("report")).await;
        let report = r.body["id"].as_i64().unwrap();
        app.ok("dispatcher", report, "dispatch", json!({"unit": "cd-jt"}))
            .await;
        let staff = upload(&app, "dispatcher", report, "scan.jpg", photo_with_gps()).await;
        let staff = staff.body["id"].as_i64().unwrap();
        let own = upload(&app, "handler", report, "site.jpg", photo_with_gps()).await;
        assert_eq!(own.status, StatusCode::CREATED);
        let listed = app
            .as_user(
                "handler",
                "GET",
                &format!("/api/v1/orders/{report}/attachments"),
                None,
            )
            .await;
        let names: Vec<&str> = listed.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["site.jpg"]);
        assert_eq!(
            fetch(&app, "handler", staff).await.status,
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            fetch(&app, "dispatcher", staff).await.status,
            StatusCode::OK
        );

        // A closed order takes no more.
        let other = app.complaint().await;
        app.ok(
            "operator",
            other,
            "answer",
            json!({"content": "已当场答复"}),
        )
        .await;
        let r = upload(&app, "dispatcher", other, "late.jpg", photo_with_gps()).await;
        assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
    }
);
