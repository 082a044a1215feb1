/**
 * Why a desk page cannot show its desk, in words for the person at it: not logged in, the login expired, a token of
 * the wrong role or for another space, a space name that is none, a space this server does not hold. The page shows this in place of its lists,
 * so a refusal never reads as an empty desk; the server's own message (English, for tools) stays out of it.
 */
import { spaceName, type Role, type SessionInfo } from '@shared/contract';
import { ApiFailure, loadSession, session } from './api';

/** Which desk a page belongs to: the duty desk (值班台) or the supervisors' pages (督办考核). */
export type Desk = 'duty' | 'supervise';

/** A way on from a refusal: a link with its words. */
export interface RefusalLink {
  readonly label: string;
  readonly href: string;
}

/** A refusal as a page shows it. */
export interface Refusal {
  readonly kind: 'login' | 'role' | 'space' | 'bad_space' | 'no_space';
  readonly title: string;
  readonly detail: string;
  readonly links: readonly RefusalLink[];
}

/** Chinese names of the roles a token carries. */
export const ROLE_LABELS: Readonly<Record<Role, string>> = {
  viewer: '大屏查看',
  supervisor: '督办员',
  producer: '数据接入',
  admin: '管理员',
  duty: '值班员',
};

/** Each desk: its name, the role it is for (admin may use every desk), its page. */
const DESKS: Readonly<Record<Desk, { readonly name: string; readonly role: Role; readonly path: string }>> = {
  duty: { name: '值班台', role: 'duty', path: '/duty' },
  supervise: { name: '督办考核', role: 'supervisor', path: '/cases' },
};

/** The desk page each role works at, where it has one (a viewer opens the wall from its link, with its token). */
const HOMES: Readonly<Partial<Record<Role, RefusalLink>>> = {
  duty: { label: '前往值班台', href: '/duty' },
  supervisor: { label: '前往督办考核', href: '/cases' },
};

/** `path` with `space` in its query. */
const inSpace = (path: string, space: string): string => `${path}?space=${encodeURIComponent(space)}`;

/** The login page, coming back to `here` afterwards. */
export function loginHref(here: string): string {
  return `/login?next=${encodeURIComponent(here)}`;
}

/**
 * The refusal a failed request of a desk page stands for, or null when it is no refusal (a fault, a bad filter: the
 * page shows those as they are). `session` is the page's login as last known; `here` the page's own path and query;
 * `spaceOnly` when the request looks up nothing but its space, so that a 404 means the space is not here.
 */
export function refusalOf(
  e: unknown,
  desk: Desk,
  space: string,
  session: SessionInfo | null,
  here: string,
  spaceOnly = false,
): Refusal | null {
  if (!(e instanceof ApiFailure)) return null;
  const d = DESKS[desk];
  const need = `${ROLE_LABELS[d.role]}（${d.role}）令牌或管理员令牌`;
  const login: RefusalLink = { label: `用${ROLE_LABELS[d.role]}令牌登录`, href: loginHref(here) };
  if (e.status === 401)
    return {
      kind: 'login',
      title: '请先登录',
      detail: `${d.name}需要登录：请用${need}登录，登录后回到本页。`,
      links: [{ label: '前往登录', href: loginHref(here) }],
    };
  // The server judges the role before the space: a token of the right role for another space is the space's refusal.
  const rightRole = session !== null && (session.role === d.role || session.role === 'admin');
  if (e.status === 403 && rightRole && session.space !== null && session.space !== space)
    return {
      kind: 'space',
      title: `当前令牌只能用于空间 ${session.space}`,
      detail: `您以${ROLE_LABELS[session.role]}身份登录，令牌限于空间 ${session.space}，不能打开空间 ${space} 的${d.name}。请用空间 ${space} 的${need}登录。`,
      links: [{ label: `打开空间 ${session.space} 的${d.name}`, href: inSpace(d.path, session.space) }, login],
    };
  if (e.status === 403) {
    const home = session ? HOMES[session.role] : undefined;
    return {
      kind: 'role',
      title: `${d.name}需要${ROLE_LABELS[d.role]}令牌`,
      detail: session
        ? `您以${ROLE_LABELS[session.role]}（${session.role}）令牌登录，无权使用${d.name}。请用${need}重新登录。`
        : `当前登录无权使用${d.name}。请用${need}重新登录。`,
      links: [login, ...(home ? [{ ...home, href: inSpace(home.href, session?.space ?? space) }] : [])],
    };
  }
  if (e.status === 400 && !spaceName.safeParse(space).success)
    return {
      kind: 'bad_space',
      title: `“${space}”不是空间名`,
      detail: `空间名为 live（实时）、demo（演示）或 drill-名称（演练，小写字母、数字和“-”）。请检查地址。`,
      links: [{ label: `打开 live 的${d.name}`, href: inSpace(d.path, 'live') }],
    };
  if (e.status === 404 && spaceOnly)
    return {
      kind: 'no_space',
      title: `本服务器上没有空间 ${space}`,
      detail: `地址中的空间 ${space} 不在本服务器上。请检查地址，或回到实时空间 live 的${d.name}。`,
      links: [{ label: `打开 live 的${d.name}`, href: inSpace(d.path, 'live') }],
    };
  return null;
}

/**
 * `refusalOf` for the page the browser is on, with its login: a 403 is read against the session (which role, which
 * space), loaded first when the page does not know it yet.
 */
export async function deskRefusal(e: unknown, desk: Desk, space: string, spaceOnly = false): Promise<Refusal | null> {
  if (!(e instanceof ApiFailure)) return null;
  const info = e.status === 403 && !session.info ? await loadSession().catch(() => null) : session.info;
  return refusalOf(e, desk, space, info, `${window.location.pathname}${window.location.search}`, spaceOnly);
}
