use crate::harness::{PASSWORD, journey};

#[tokio::test]
async fn the_first_owner_sets_up_baton_then_signs_out_and_back_in() {
    journey("setup_sign_in_sign_out", |page| async move {
        page.open("/work").await?;
        page.expect_heading("Set up Baton").await?;
        page.fill("name", "Olive Owner").await?;
        page.fill("email", "olive@acme.test").await?;
        page.fill("password", PASSWORD).await?;
        page.press("Create the owner", None).await?;
        page.expect_heading("My work").await?;
        assert!(page.text().await?.contains("Olive Owner · owner"));

        page.sign_out().await?;
        page.open("/work").await?;
        page.expect_heading("Sign in").await?;

        page.fill("email", "olive@acme.test").await?;
        page.fill("password", "not the password").await?;
        page.press("Sign in", None).await?;
        page.expect_heading("Sign in").await?;
        assert!(page.text().await?.contains("do not match"));
        let kept = page.browser.find(fantoccini::Locator::Id("email")).await?;
        assert_eq!(
            kept.prop("value").await?.as_deref(),
            Some("olive@acme.test"),
            "the e-mail is kept"
        );

        page.sign_in("olive@acme.test").await?;
        Ok(())
    })
    .await;
}
