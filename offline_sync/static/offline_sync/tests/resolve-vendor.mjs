const IDB = new URL("../../../../node_modules/idb/build/index.js", import.meta.url).href;

export async function resolve(specifier, context, nextResolve) {
  if (specifier.endsWith("/vendor/idb/index.js")) return nextResolve(IDB, context);
  return nextResolve(specifier, context);
}
