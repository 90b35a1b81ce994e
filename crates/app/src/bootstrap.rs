//! Seeding a new database with what administrators then own: the official calendar,
//! the deadline rules and the domain taxonomy (data, not deployment settings:
//! README "Configuration"). Safe to run at every start and from several servers at
//! once: it only fills what is empty. Unaudited: the defaults are the installation's
//! starting point, no one's change.

use hotline_domain::{Calendar, DeadlineRules, taxonomy};
use hotline_store::{Store, StoreError};

pub async fn seed_defaults(store: &dyn Store) -> Result<(), StoreError> {
    if store.calendar().await?.is_empty() {
        for year in Calendar::official_seed() {
            store.put_calendar_year(year, None).await?;
        }
        tracing::info!("seeded the official calendar 2004–2026");
    }
    if store.deadline_rules().await?.is_none() {
        store
            .put_deadline_rules(&DeadlineRules::default(), None)
            .await?;
    }
    if store.taxonomy().await?.is_empty() {
        for category in taxonomy::seed() {
            store.put_domain_category(category, None).await?;
        }
    }
    Ok(())
}
