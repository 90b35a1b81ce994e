//! The app through its real router, one module a feature, in one test binary: each
//! file under `tests/` is a binary of its own, linked against the whole app, and
//! linking twenty of them cost more than running them. `common` is the shared
//! `TestApp`. The files left beside this folder are not about HTTP.

#[macro_use]
mod common;

mod access;
mod account;
mod attachments;
mod batch;
mod bounds;
mod callbacks;
mod catalogue;
mod console;
mod corrections;
mod demo_crawl;
mod enterprise;
mod findings;
mod forward;
mod guard;
mod hotspots;
mod kb;
mod levels;
mod lifecycle;
mod notifications;
mod openapi;
mod org;
mod permissions;
mod personal_data;
mod phones;
mod ready;
mod recall;
mod regions;
mod reply_review;
mod report_periods;
mod reports;
mod sampling;
mod search;
mod subcentres;
mod summons;
mod supervision;
mod two_factor;
mod watch;
