/**
 * `call()`'s outcome as a promise: the promise it returns, the value it returns (a store written
 * without async, as `await` takes it), or what it throws at once as a rejection (as an async
 * function gives it). The store calls on every request chain this promise instead of adding an
 * async function's frame and promises per call.
 */
export function settled<T>(call: () => T | Promise<T>): Promise<T> {
  try {
    return Promise.resolve(call());
  } catch (err) {
    return Promise.reject(err as Error);
  }
}
