import { matchRoute, type Route } from './routes';

/** A History API router: no hashes; Django serves index.html for every non-API path. */
class Router {
  path = $state(typeof location === 'undefined' ? '/' : location.pathname);
  search = $state(typeof location === 'undefined' ? '' : location.search);
  route: Route = $derived(matchRoute(this.path));

  navigate(to: string, { replace = false }: { replace?: boolean } = {}): void {
    const url = new URL(to, location.origin);
    if (url.origin !== location.origin) {
      location.assign(to);
      return;
    }
    const target = url.pathname + url.search + url.hash;
    if (target !== location.pathname + location.search + location.hash) {
      if (replace) history.replaceState(null, '', target);
      else history.pushState(null, '', target);
    }
    this.update();
    if (!url.hash) window.scrollTo(0, 0);
  }

  param(name: string): string | null {
    return new URLSearchParams(this.search).get(name);
  }

  private update(): void {
    this.path = location.pathname;
    this.search = location.search;
  }

  /** Follows popstate and turns clicks on same-origin links into client-side navigation. */
  start(): () => void {
    const onPop = () => this.update();
    const onClick = (e: MouseEvent) => {
      if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
      const a = (e.target as Element | null)?.closest?.('a');
      if (!a || !a.href || a.target || a.hasAttribute('download') || a.dataset.native !== undefined) return;
      const url = new URL(a.href);
      if (url.origin !== location.origin) return;
      if (/^\/(api|_allauth|ws|admin|assets)\//.test(url.pathname)) return;
      if (url.pathname === location.pathname && url.search === location.search && url.hash) return;
      e.preventDefault();
      this.navigate(url.pathname + url.search + url.hash);
    };
    window.addEventListener('popstate', onPop);
    document.addEventListener('click', onClick);
    return () => {
      window.removeEventListener('popstate', onPop);
      document.removeEventListener('click', onClick);
    };
  }
}

export const router = new Router();
