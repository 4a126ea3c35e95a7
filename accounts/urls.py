from django.urls import path

from accounts import views

urlpatterns = [
    path("jwt-login/", views.JWTLoginView.as_view(), name="jwt-login"),
    path("jwt-refresh/", views.JWTRefreshView.as_view(), name="jwt-refresh"),
    path("jwt-logout/", views.JWTLogoutView.as_view(), name="jwt-logout"),
    path("token/", views.TokenView.as_view(), name="token"),
    path("me/", views.MeView.as_view(), name="me"),
]
