use crate::harness::journey;
use baton_core::domain::Role;

#[tokio::test]
async fn a_hunter_is_refused_the_charter_page_an_owner_reads() {
    journey("hunter_refused_charter", |page| async move {
        page.add_person("hal@acme.test", "Hal Hunter", Role::Hunter)
            .await;
        page.add_person("olive@acme.test", "Olive Owner", Role::Owner)
            .await;

        page.sign_in("hal@acme.test").await?;
        assert!(!page.navigation().await?.contains(&"Charter".to_string()));
        page.open("/charter").await?;
        page.expect_heading("Not for your role").await?;
        assert!(page.text().await?.contains("owners and managers do"));
        page.sign_out().await?;

        page.sign_in("olive@acme.test").await?;
        page.follow("Charter").await?;
        page.expect_heading("Charter").await?;
        assert!(page.text().await?.contains("Save as version 2"));
        Ok(())
    })
    .await;
}
