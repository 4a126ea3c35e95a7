{% comment %}
drf-spectacular's Swagger UI script, with one plugin: the Authorize dialog offers only
what works from this page, the Token field. The JWT and session cookies are sent by the
browser itself after signing in (and this script adds the X-CSRFToken header on POST
and DELETE), so their fields there would do nothing.
{% endcomment %}
const ImageApiHideCookieSchemes = () => ({
  statePlugins: {
    spec: {
      wrapSelectors: {
        securityDefinitions: (original) => (...args) => {
          const definitions = original(...args);
          return definitions && definitions.filter((scheme) => scheme.get("in") !== "cookie");
        },
      },
    },
  },
});
const ImageApiSwaggerUIBundle = window.SwaggerUIBundle;
window.SwaggerUIBundle = Object.assign(
  (config) => ImageApiSwaggerUIBundle({
    ...config,
    plugins: [...(config.plugins || []), ImageApiHideCookieSchemes],
  }),
  ImageApiSwaggerUIBundle,
);
{% include "drf_spectacular/swagger_ui.js" %}
