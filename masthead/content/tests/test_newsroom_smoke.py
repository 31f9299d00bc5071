from masthead.content.models import ArticlePage


def test_it_serves_every_public_page_of_the_newsroom(visitor, newsroom):
    metered = newsroom.by_access("metered")
    for url in ["/", "/politics/", metered.url, "/authors/ada-writer/", "/topics/elections/", "/search/?q=story"]:
        response = visitor.get(url)
        assert response.status_code == 200, url
    assert ArticlePage.objects.live().count() == 4
