use crate::harness::journey;
use baton_core::domain::Role;

#[tokio::test]
async fn a_hunter_reads_the_charter_an_owner_changes_and_is_refused_the_queues() {
    journey("hunter_reads_charter", |page| async move {
        page.add_person("hal@acme.test", "Hal Hunter", Role::Hunter)
            .await;
        page.add_person("olive@acme.test", "Olive Owner", Role::Owner)
            .await;

        page.sign_in("hal@acme.test").await?;
        page.follow("Charter").await?;
        page.expect_heading("Charter").await?;
        assert!(!page.text().await?.contains("Save as version"));
        assert!(!page.navigation().await?.contains(&"Queues".to_string()));
        page.open("/queues").await?;
        page.expect_heading("Not for your role").await?;
        page.sign_out().await?;

        page.sign_in("olive@acme.test").await?;
        page.follow("Charter").await?;
        page.expect_heading("Charter").await?;
        assert!(page.text().await?.contains("Save as version 2"));
        Ok(())
    })
    .await;
}
