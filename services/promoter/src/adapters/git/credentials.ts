/**
 * Hands credentials to git without putting them on a command line, in a URL, in git's config or on disk
 * beside the working copy:
 * - HTTPS token: git runs GIT_ASKPASS when the server answers 401; our helper is a fixed script (written
 *   once, mode 0700, holding no secret) that prints the user name or the token from environment variables
 *   of that one git process. The token is read from its file (or variable) at each use, so a rotated
 *   Kubernetes Secret is picked up without a restart.
 * - SSH: GIT_SSH_COMMAND runs ssh with only the configured key (a private copy with the 0600 mode ssh
 *   insists on, since Secret volumes are often 0644), only the configured known_hosts, strict host key
 *   checking and batch mode (never a prompt), and no agent or user ssh config.
 */
import { chmod, copyFile, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { GitError } from './git-error.js';
import type { GitRepositoryConfig } from './repositories-config.js';

export interface GitCredentialEnv {
  readonly env: Readonly<Record<string, string>>;
  /** What must be redacted from this call's output. */
  readonly secrets: readonly string[];
}

const USERNAME_VARIABLE = 'PROMOTER_GIT_USERNAME';
const PASSWORD_VARIABLE = 'PROMOTER_GIT_PASSWORD';

/** Prompts look like "Username for 'https://host': " and "Password for 'https://user@host': ". */
const ASKPASS_SCRIPT = `#!/bin/sh
# Written by promoter. Answers git's credential prompts from this process's environment; holds no secret.
case "$1" in
  Username*) printf '%s\\n' "$${USERNAME_VARIABLE}" ;;
  *) printf '%s\\n' "$${PASSWORD_VARIABLE}" ;;
esac
`;

export class GitCredentials {
  readonly #dir: string;
  readonly #environment: Readonly<Record<string, string | undefined>>;
  #askpass: Promise<string> | undefined;

  /**
   * @param dir a private folder for the askpass script and ssh key copies
   * @param environment where `auth.tokenEnv` variables are looked up (the process environment at boot)
   */
  constructor(dir: string, environment: Readonly<Record<string, string | undefined>>) {
    this.#dir = dir;
    this.#environment = environment;
  }

  async forRepository(repository: GitRepositoryConfig): Promise<GitCredentialEnv> {
    const auth = repository.auth;
    switch (auth.type) {
      case 'none':
        return { env: {}, secrets: [] };
      case 'token': {
        const token = await this.#readToken(repository, auth.tokenFile, auth.tokenEnv);
        return {
          env: { GIT_ASKPASS: await this.#askpassScript(), [USERNAME_VARIABLE]: auth.username, [PASSWORD_VARIABLE]: token },
          secrets: [token, `${auth.username}:${token}`],
        };
      }
      case 'ssh': {
        // ssh reads -o values like ssh_config lines: a path with a space needs double quotes, and one
        // with a double quote cannot be written at all.
        if (auth.knownHostsFile.includes('"')) {
          throw new GitError({ code: 'credentials-missing', repository: repository.name, message: 'the known_hosts path must not contain a double quote', retryable: false });
        }
        const key = await this.#privateKeyCopy(repository, auth.privateKeyFile);
        const command = [
          'ssh',
          '-F', '/dev/null',
          '-i', key,
          '-o', 'IdentitiesOnly=yes',
          '-o', 'IdentityAgent=none',
          '-o', `UserKnownHostsFile="${auth.knownHostsFile}"`,
          '-o', 'GlobalKnownHostsFile=/dev/null',
          '-o', 'StrictHostKeyChecking=yes',
          '-o', 'BatchMode=yes',
          '-o', 'ConnectTimeout=15',
        ];
        // git runs GIT_SSH_COMMAND through sh: every word is single-quoted.
        return { env: { GIT_SSH_COMMAND: command.map(shellQuote).join(' ') }, secrets: [] };
      }
    }
  }

  async #readToken(repository: GitRepositoryConfig, file: string | undefined, variable: string | undefined): Promise<string> {
    let token: string | undefined;
    if (file !== undefined) {
      try {
        token = (await readFile(file, 'utf8')).trim();
      } catch (error) {
        throw new GitError({
          code: 'credentials-missing',
          repository: repository.name,
          message: `cannot read the token file ${file} (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
          retryable: false,
        });
      }
    } else if (variable !== undefined) {
      token = this.#environment[variable]?.trim();
    }
    if (!token) {
      throw new GitError({
        code: 'credentials-missing',
        repository: repository.name,
        message: `the token ${file !== undefined ? `file ${file}` : `variable ${String(variable)}`} is empty or not set`,
        retryable: false,
      });
    }
    return token;
  }

  #askpassScript(): Promise<string> {
    this.#askpass ??= (async () => {
      await mkdir(this.#dir, { recursive: true, mode: 0o700 });
      const path = join(this.#dir, 'askpass.sh');
      // Written beside and renamed: a concurrent git never runs a half-written script.
      const partial = `${path}.${process.pid}.tmp`;
      await writeFile(partial, ASKPASS_SCRIPT, { mode: 0o700 });
      await chmod(partial, 0o700);
      await rename(partial, path);
      return path;
    })();
    return this.#askpass;
  }

  async #privateKeyCopy(repository: GitRepositoryConfig, source: string): Promise<string> {
    await mkdir(this.#dir, { recursive: true, mode: 0o700 });
    const path = join(this.#dir, `${repository.name}.key`);
    try {
      await copyFile(source, path);
      await chmod(path, 0o600);
    } catch (error) {
      throw new GitError({
        code: 'credentials-missing',
        repository: repository.name,
        message: `cannot read the SSH private key ${source} (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
        retryable: false,
      });
    }
    return path;
  }
}

function shellQuote(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}
