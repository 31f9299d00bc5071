from django.contrib.sitemaps.views import sitemap
from django.urls import path
from django.views.decorators.cache import cache_page

from masthead.content import feeds, sitemaps, views

app_name = "content"

urlpatterns = [
    path("authors/<slug:slug>/", views.author, name="author"),
    path("topics/<slug:slug>/", views.topic, name="topic"),
    path("search/", views.search, name="search"),
    path("feeds/rss.xml", feeds.ArticleRssFeed(), name="rss"),
    path("feeds/atom.xml", feeds.ArticleAtomFeed(), name="atom"),
    path("feeds/<slug:section>/rss.xml", feeds.ArticleRssFeed(), name="section-rss"),
    path("feeds/<slug:section>/atom.xml", feeds.ArticleAtomFeed(), name="section-atom"),
    path("sitemap.xml", cache_page(300)(sitemap), {"sitemaps": sitemaps.SITEMAPS}, name="sitemap"),
    path("news-sitemap.xml", sitemaps.news_sitemap, name="news-sitemap"),
    path("robots.txt", views.robots_txt, name="robots"),
    path("healthz", views.healthz, name="healthz"),
]
