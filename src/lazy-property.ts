// A property computed on first read and then kept: for facts a scan of thousands of functions carries
// but most commands never look at (BARs from the resource file).

/**
 * Defines `obj[key]` as enumerable, computed by `compute` on first read, then stored as a plain value
 * (so JSON, spreads and deep comparisons see an ordinary property).
 */
export function defineLazy<T extends object, K extends keyof T>(obj: T, key: K, compute: () => T[K]): T {
  Object.defineProperty(obj, key, {
    enumerable: true,
    configurable: true,
    get() {
      const value = compute();
      Object.defineProperty(obj, key, { value, enumerable: true, configurable: true, writable: true });
      return value;
    },
    set(value: T[K]) {
      Object.defineProperty(obj, key, { value, enumerable: true, configurable: true, writable: true });
    },
  });
  return obj;
}
