// Facts about this phone for the server: a readable device name and the Web Push key's bytes.

// What the dispatcher sees in admin › Driver devices: "Android · Chrome", not a user-agent string.
export function deviceName(userAgent) {
  const platforms = [
    [/iPhone/, "iPhone"],
    [/iPad/, "iPad"],
    [/Android/, "Android"],
    [/Windows/, "Windows"],
    [/Mac OS X/, "Mac"],
    [/Linux/, "Linux"],
  ];
  const browsers = [
    [/EdgA?\//, "Edge"],
    [/SamsungBrowser\//, "Samsung Internet"],
    [/CriOS|Chrome\//, "Chrome"],
    [/FxiOS|Firefox\//, "Firefox"],
    [/Safari\//, "Safari"],
  ];
  const platform = (platforms.find(([pattern]) => pattern.test(userAgent)) || [null, ""])[1];
  const browser = (browsers.find(([pattern]) => pattern.test(userAgent)) || [null, ""])[1];
  return [platform, browser].filter(Boolean).join(" · ").slice(0, 80);
}

// The VAPID public key arrives base64url without padding; PushManager wants its raw bytes.
export function base64UrlBytes(text) {
  const padded = text.replace(/-/g, "+").replace(/_/g, "/");
  return Uint8Array.from(atob(padded + "=".repeat((4 - (padded.length % 4)) % 4)), (c) => c.charCodeAt(0));
}
