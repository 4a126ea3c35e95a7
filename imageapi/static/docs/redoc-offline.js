// ReDoc's bundle hard-codes its "API docs by Redocly" logo on cdn.redoc.ly. Loaded before
// the bundle, this points any image on another host at this site's own icon, so the
// page requests nothing from other hosts (the Content-Security-Policy forbids it anyway).
(() => {
  const icon = document.querySelector('link[rel="icon"]');
  const local = icon ? icon.href : "/static/favicon.svg";
  const offServer = (url) => /^(https?:)?\/\//.test(url)
    && !String(url).startsWith(location.origin + "/");
  const setAttribute = Element.prototype.setAttribute;
  Element.prototype.setAttribute = function (name, value) {
    const img = this instanceof HTMLImageElement && name.toLowerCase() === "src";
    return setAttribute.call(this, name, img && offServer(value) ? local : value);
  };
  const src = Object.getOwnPropertyDescriptor(HTMLImageElement.prototype, "src");
  Object.defineProperty(HTMLImageElement.prototype, "src", {
    ...src,
    set(value) { src.set.call(this, offServer(value) ? local : value); },
  });
})();
