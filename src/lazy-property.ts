// Properties computed on first read and then kept: for facts a scan of thousands of functions carries
// but most commands never look at (BARs, local CPUs).

/** Replaces `obj[key]` by a plain data property holding `value`, and returns the value. */
function keep<T extends object, K extends keyof T>(obj: T, key: K, value: T[K]): T[K] {
  Object.defineProperty(obj, key, { value, enumerable: true, configurable: true, writable: true });
  return value;
}

/**
 * Defines `obj[key]` as enumerable, computed by `compute` on first read, then stored as a plain value
 * (so JSON, spreads and deep comparisons see an ordinary property). For one-off objects: the closure
 * per object moves V8 to a slow dictionary shape, which costs microseconds each; see lazyFromSelf.
 */
export function defineLazy<T extends object, K extends keyof T>(obj: T, key: K, compute: () => T[K]): T {
  Object.defineProperty(obj, key, {
    enumerable: true,
    configurable: true,
    get() {
      return keep(obj, key, compute());
    },
    set(value: T[K]) {
      keep(obj, key, value);
    },
  });
  return obj;
}

/**
 * The same for many objects: a descriptor whose getter computes `key` from the object itself. Add it
 * with Object.defineProperty(obj, key, descriptor) to objects built alike and they keep one fast
 * shape (the accessor pair is shared), so thousands of devices pay next to nothing until read. Add
 * it as a new key: turning an existing data property into an accessor loses the fast shape.
 */
export function lazyFromSelf<T extends object, K extends keyof T>(key: K, compute: (self: T) => T[K]): PropertyDescriptor {
  return {
    enumerable: true,
    configurable: true,
    get(this: T) {
      return keep(this, key, compute(this));
    },
    set(this: T, value: T[K]) {
      keep(this, key, value);
    },
  };
}
