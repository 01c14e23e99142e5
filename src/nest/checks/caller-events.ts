import type { StateInput } from '../../core/index.js';
import type { CallerEvent } from '../definition/commit.types.js';
import type { EventRoute, RegisteredResource } from '../definition/transition-registry.js';

/**
 * Every event of the resource's machine for a caller with `roles` (undefined: roles aside), as
 * the guard would decide it now: `allowed: false` with `reason: 'role-required'` and
 * `requiredRoles` when the caller lacks a role the guard asks for.
 */
export function callerEvents(
  entry: RegisteredResource,
  id: string,
  input: StateInput,
  roles: readonly string[] | undefined,
  routes: ReadonlyMap<string, EventRoute> | undefined,
): CallerEvent[] {
  const lacks = (needed: readonly string[] | undefined) =>
    roles !== undefined && !!needed?.length && !needed.some((r) => roles.includes(r));
  return entry.validator.explain(input).map((line): CallerEvent => {
    const route = routes?.get(line.event);
    const where = route
      ? { method: route.method, href: route.path.replace(/:id\b/, encodeURIComponent(id)) }
      : {};
    const always = entry.validator.rolesFor(line.event);
    const needed = lacks(always) ? always : line.allowed && lacks(line.roles) ? line.roles : null;
    if (needed) {
      return {
        event: line.event,
        allowed: false,
        reason: 'role-required',
        requiredRoles: needed,
        ...where,
      };
    }
    return { ...line, ...where };
  });
}
