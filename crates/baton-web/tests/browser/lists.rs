use crate::harness::journey;
use baton_core::domain::{AccountStatus, Role, Tier};
use baton_db::accounts::NewAccount;

#[tokio::test]
async fn a_manager_filters_sorts_and_opens_an_account_from_the_list() {
    journey("account_list", |page| async move {
        page.add_person("mia@acme.test", "Mia Manager", Role::Manager)
            .await;
        for (name, domain, tier) in [
            ("Zeta Labs", "zeta.test", Tier::A),
            ("Alpha Works", "alpha.test", Tier::B),
            ("Mid Corp", "mid.test", Tier::A),
        ] {
            let account = NewAccount {
                name: name.into(),
                domains: vec![domain.into()],
                tier: Some(tier),
                status: Some(AccountStatus::Prospect),
                ..Default::default()
            };
            page.db.create_account(None, &account).await?;
        }

        page.sign_in("mia@acme.test").await?;
        page.follow("Accounts").await?;
        page.expect_heading("Accounts").await?;
        page.choose("filter-tier", "a").await?;
        page.press("Show", None).await?;
        let text = page.text().await?;
        assert!(text.contains("1–2 of 2") && !text.contains("Alpha Works"));
        assert!(text.find("Mid Corp") < text.find("Zeta Labs"), "by name");

        page.follow("Account ▲").await?;
        let text = page.text().await?;
        assert!(
            text.find("Zeta Labs") < text.find("Mid Corp"),
            "turned round"
        );
        assert!(!text.contains("Alpha Works"), "the filter is kept");

        page.follow("Zeta Labs").await?;
        page.expect_heading("Zeta Labs").await?;
        assert!(page.text().await?.contains("zeta.test"));
        Ok(())
    })
    .await;
}
