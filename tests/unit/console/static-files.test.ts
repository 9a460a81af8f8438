import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { sameOrigin } from '../../../src/console/index.ts';
import { resolveStaticPath } from '../../../src/console/static-files.ts';

describe('static files and origins', () => {
  const root = path.resolve('/srv/console/dist');

  it('resolves paths inside the root and refuses traversal', () => {
    expect(resolveStaticPath(root, '/')).toBe(root);
    expect(resolveStaticPath(root, '/assets/index-1.js')).toBe(path.join(root, 'assets/index-1.js'));
    expect(resolveStaticPath(root, '/../secret')).toBe(path.join(root, 'secret'));
    expect(resolveStaticPath(root, '/%2e%2e/%2e%2e/etc/passwd')).toBe(path.join(root, 'etc/passwd'));
    expect(resolveStaticPath(root, '/..%5c..%5cwindows')).toBeUndefined();
    expect(resolveStaticPath(root, '/a%00b')).toBeUndefined();
    expect(resolveStaticPath(root, '/%E0%A4%A')).toBeUndefined();
  });

  it('accepts sockets from its own pages or non-browser clients only', () => {
    expect(sameOrigin(undefined, '127.0.0.1:7070')).toBe(true);
    expect(sameOrigin('http://127.0.0.1:7070', '127.0.0.1:7070')).toBe(true);
    expect(sameOrigin('http://evil.example', '127.0.0.1:7070')).toBe(false);
    expect(sameOrigin('null', '127.0.0.1:7070')).toBe(false);
  });
});
