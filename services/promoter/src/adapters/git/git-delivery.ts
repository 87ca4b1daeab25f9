/**
 * Delivery through Git: the three writes a GitOps promotion makes, each idempotent and each saying what it
 * did. A resumed step finds its own earlier commit by the `Promotion-Id` trailer (and the
 * `Promotion-Action`), so it never commits twice; a push that loses a race with another push is fetched,
 * re-applied on the new tip and retried (bounded), so a concurrent commit is kept, never overwritten; a file
 * that no longer holds the expected image stops the write with an `image-drift` ImageEditError.
 * A repository's content is untrusted input: files are read and written as Git objects only, never through
 * the work tree (repository-files.ts: no symbolic link, submodule or oversized file), and parsed in a worker
 * thread (image-edit-pool.ts), within DEFAULT_CONTENT_LIMITS unless the options say otherwise.
 *
 * @example
 * const delivery = new GitDelivery({ config: await loadGitConfig(file, { cacheDir }), logger: app.log });
 * const done = await delivery.commitImage({
 *   repository: 'deploy', file: 'apps/zai-proxy/deployment.yaml',
 *   locator: { kind: 'manifest', container: 'proxy' },
 *   expectedCurrentImage: 'ronaldraygun/zai-proxy:1.2.0', newImage: 'ronaldraygun/zai-proxy:1.2.1',
 *   promotionId: id,
 * });
 * // { commit: '3f2a...', created: true, outcome: 'committed', previousImage: 'ronaldraygun/zai-proxy:1.2.0', ... }
 */
import { join } from 'node:path';
import { commitMessage, defaultTagMessage, promoteSubject, releaseSubject, rollbackSubject, type RollbackMethod } from '../../domain/gitops/commit-message.js';
import { GitCredentials } from './credentials.js';
import type {
  CommitImageRequest,
  CommitImageResult,
  FinalizeReleaseRequest,
  FinalizeReleaseResult,
  GitDeliveryOptions,
  GitLogger,
  ProposalTarget,
  ReadImageRequest,
  RepositoryContentLimits,
  ReadImageResult,
  RevertImageRequest,
  RevertImageResult,
} from './delivery-types.js';
import { GitError } from './git-error.js';
import { GitRunner, classify } from './git-runner.js';
import { ImageEditWorker } from './image-edit-pool.js';
import { lookUpFile, readRepositoryFile, stageFile } from './repository-files.js';
import { findRepository, workingCopyDir, type GitConfig, type GitRepositoryConfig } from './repositories-config.js';
import { checkPromotionId, checkedFile, commitTrailers, fileNotFound, findOwnCommit, lastCommitTouching, remoteTagCommit } from './repository-history.js';
import { checkedProposal, ownTip, syncProposalBranch } from './proposal-branch.js';
import { RepositoryLocks, WorkingCopy } from './working-copy.js';

const NO_LOGGER: GitLogger = { debug: () => undefined, info: () => undefined, warn: () => undefined };

/** What a repository file may cost: its size, its YAML documents, the time to parse it. */
export const DEFAULT_CONTENT_LIMITS: RepositoryContentLimits = { maxFileBytes: 1024 * 1024, maxDocuments: 1_000, parseTimeoutMs: 20_000 };

export class GitDelivery {
  readonly #config: GitConfig;
  readonly #runner: GitRunner;
  readonly #credentials: GitCredentials;
  readonly #locks = new RepositoryLocks();
  readonly #logger: GitLogger;
  readonly #limits: RepositoryContentLimits;
  readonly #yaml: ImageEditWorker;

  constructor(options: GitDeliveryOptions) {
    this.#config = options.config;
    this.#logger = options.logger ?? NO_LOGGER;
    this.#limits = { ...DEFAULT_CONTENT_LIMITS, ...options.limits };
    this.#yaml = new ImageEditWorker({ limits: { maxDocuments: this.#limits.maxDocuments }, jobTimeoutMs: this.#limits.parseTimeoutMs });
    this.#runner = new GitRunner({
      gitBinary: options.gitBinary,
      homeDir: join(options.config.cacheDir, 'home'),
      timeoutMs: options.config.timeoutMs,
      trace: (line) => this.#logger.debug({ component: 'git' }, line),
    });
    this.#credentials = new GitCredentials(join(options.config.cacheDir, 'credentials'), options.environment ?? process.env);
  }

  /** Stops the YAML worker thread (at shutdown; a later edit would start another). */
  close(): Promise<void> {
    return this.#yaml.close();
  }

  /** The names a promotion may use. */
  repositoryNames(): readonly string[] {
    return this.#config.repositories.map((r) => r.name);
  }

  /** A configured repository's settings (how it takes changes, its forge); a GitError when there is none of that name. */
  repositoryConfig(name: string): GitRepositoryConfig {
    return findRepository(this.#config, name);
  }

  /** The installed git's version; rejects if it is older than the 2.32 this adapter needs (GIT_CONFIG_GLOBAL). */
  async checkGitVersion(): Promise<string> {
    const { stdout } = await this.#runner.run(['--version']);
    const match = /git version (\d+)\.(\d+)/.exec(stdout);
    const [major, minor] = [Number(match?.[1] ?? 0), Number(match?.[2] ?? 0)];
    if (major < 2 || (major === 2 && minor < 32)) {
      throw new GitError({ code: 'command-failed', message: `git 2.32 or newer is needed, found '${stdout.trim()}'`, retryable: false });
    }
    return stdout.trim().replace(/^git version /, '');
  }

  /** The image the file holds now at the branch tip (to validate a request, or to learn the current image). */
  async readImage(request: ReadImageRequest): Promise<ReadImageResult> {
    const repository = findRepository(this.#config, request.repository);
    const file = checkedFile(request.file, repository.name);
    return this.#withWorkingCopy(repository, async (copy) => {
      await copy.sync();
      const text = await this.#read(copy, 'HEAD', file);
      if (text === undefined) throw fileNotFound(repository, file);
      return { image: await this.#yaml.readImage(text, request.locator, file), commit: await copy.head() };
    });
  }

  /**
   * Whether commit `ancestor` is `descendant` or one of its ancestors (`git merge-base --is-ancestor`), e.g.
   * whether the revision Argo CD synced contains a promotion's commit. Fetches first when either is unknown
   * here; false for a commit the repository does not have.
   */
  async isAncestor(repositoryName: string, ancestor: string, descendant: string): Promise<boolean> {
    const repository = findRepository(this.#config, repositoryName);
    for (const commit of [ancestor, descendant]) {
      if (!/^[0-9a-f]{7,64}$/.test(commit)) throw new GitError({ code: 'invalid-argument', repository: repository.name, message: `'${commit}' is not a commit id`, retryable: false });
    }
    return this.#withWorkingCopy(repository, async (copy) => {
      const ask = () => copy.git(['merge-base', '--is-ancestor', ancestor, descendant], { allowFailure: true });
      // 0: yes, 1: no, anything else: a commit is not here (yet).
      let answer = await ask().catch(() => undefined);
      if (answer?.code !== 0 && answer?.code !== 1) {
        await copy.sync();
        answer = await ask();
      }
      return answer.code === 0;
    });
  }

  async commitImage(request: CommitImageRequest): Promise<CommitImageResult> {
    const repository = findRepository(this.#config, request.repository);
    const file = checkedFile(request.file, repository.name);
    checkPromotionId(request.promotionId, repository.name);
    const base = { repository: repository.name, branch: repository.branch, file };
    const proposal = request.proposal && checkedProposal(request.proposal, repository);
    return this.#withWorkingCopy(repository, async (copy) => {
      for (let attempt = 1; ; attempt++) {
        await copy.sync();
        const proposed = proposal && (await syncProposalBranch(copy, proposal.branch));
        const own = (await findOwnCommit(copy, request.promotionId, 'promote')) ?? (proposed && !proposal.rebase ? await ownTip(copy, proposed, request.promotionId, 'promote') : undefined);
        if (own) {
          const before = await this.#read(copy, `${own.commit}^`, file);
          const previousImage = before !== undefined ? await this.#yaml.readImage(before, request.locator, file) : request.expectedCurrentImage;
          const outcome = own.commit === proposed ? 'found-own-proposal' : 'found-own-commit';
          return { ...base, ...(proposal && { branch: proposal.branch }), commit: own.commit, previousImage, created: false, outcome, attempts: attempt };
        }
        const text = await this.#read(copy, 'HEAD', file);
        if (text === undefined) throw fileNotFound(repository, file);
        const edit = await this.#yaml.setImage(text, request.locator, { file, expectedCurrentImage: request.expectedCurrentImage, newImage: request.newImage });
        if (!edit.changed) {
          return { ...base, commit: await lastCommitTouching(copy, file), previousImage: edit.previousImage, created: false, outcome: 'already-in-place', attempts: attempt };
        }
        await stageFile(copy, file, edit.text);
        const message = commitMessage({
          subject: request.message ?? promoteSubject(request.newImage),
          body: `${file}: ${edit.previousImage} -> ${request.newImage}`,
          promotionId: request.promotionId,
          action: 'promote',
        });
        await copy.git(['commit', '--quiet', '--no-verify', '-F', '-'], { input: message });
        const commit = await copy.head();
        if ((await this.#pushChange(copy, proposal, proposed, attempt)) === 'pushed') {
          this.#logger.info({ ...base, commit, promotionId: request.promotionId, ...(proposal && { proposal: proposal.branch }) }, `committed and pushed ${request.newImage} to ${file}`);
          if (proposal) return { ...base, branch: proposal.branch, commit, previousImage: edit.previousImage, created: true, outcome: 'proposed', attempts: attempt };
          return { ...base, commit, previousImage: edit.previousImage, created: true, outcome: 'committed', attempts: attempt };
        }
      }
    });
  }

  async revertImage(request: RevertImageRequest): Promise<RevertImageResult> {
    const repository = findRepository(this.#config, request.repository);
    const file = checkedFile(request.file, repository.name);
    checkPromotionId(request.promotionId, repository.name);
    if (request.commit !== undefined && !/^[0-9a-f]{7,64}$/.test(request.commit)) {
      throw new GitError({ code: 'invalid-argument', repository: repository.name, message: `'${request.commit}' is not a commit id`, retryable: false });
    }
    const base = { repository: repository.name, branch: repository.branch, file };
    const proposal = request.proposal && checkedProposal(request.proposal, repository);
    return this.#withWorkingCopy(repository, async (copy) => {
      for (let attempt = 1; ; attempt++) {
        await copy.sync();
        const proposed = proposal && (await syncProposalBranch(copy, proposal.branch));
        const own = (await findOwnCommit(copy, request.promotionId, 'rollback')) ?? (proposed && !proposal.rebase ? await ownTip(copy, proposed, request.promotionId, 'rollback') : undefined);
        if (own) {
          const after = await this.#read(copy, own.commit, file);
          const restoredImage = after !== undefined ? await this.#yaml.readImage(after, request.locator, file) : '';
          const outcome = own.commit === proposed ? 'found-own-proposal' : 'found-own-commit';
          return { ...base, ...(proposal && { branch: proposal.branch }), commit: own.commit, created: false, method: own.method ?? 'revert', restoredImage, outcome, attempts: attempt };
        }
        const target =
          request.commit !== undefined
            ? await this.#ownPromotionCommit(copy, repository, request, request.commit)
            : (await findOwnCommit(copy, request.promotionId, 'promote'))?.commit;
        if (target === undefined) {
          // The promotion never committed (it stopped before its push): the file is as it was.
          const text = await this.#read(copy, 'HEAD', file);
          if (text === undefined) throw fileNotFound(repository, file);
          const current = await this.#yaml.readImage(text, request.locator, file);
          return { ...base, commit: await lastCommitTouching(copy, file), created: false, method: 'revert', restoredImage: current, outcome: 'already-in-place', attempts: attempt };
        }
        const promoted = await this.#yaml.readImage((await this.#read(copy, target, file)) ?? new Uint8Array(), request.locator, file);
        const before = await this.#read(copy, `${target}^`, file);
        if (before === undefined) throw fileNotFound(repository, file, `${target.slice(0, 12)}^`);
        const previous = await this.#yaml.readImage(before, request.locator, file);
        // git revert writes the work tree: only over a regular file (this throws for anything else).
        await lookUpFile(copy, 'HEAD', file);

        let method: RollbackMethod = 'revert';
        // A forge's merge commit is reverted against its first parent, the branch as it was before the merge.
        const mainline = (await copy.git(['rev-list', '--parents', '-n', '1', target])).stdout.trim().split(' ').length > 2 ? ['-m', '1'] : [];
        const reverted = await copy.git(['revert', '--no-commit', '--no-edit', ...mainline, target], { allowFailure: true });
        if (reverted.code !== 0) {
          // Later commits touched the same lines: undo the revert and set the previous image instead, which
          // keeps their changes. If the image itself was changed since, that is drift and nothing is written.
          method = 'restore';
          await copy.git(['revert', '--abort'], { allowFailure: true });
          await copy.git(['reset', '--quiet', '--hard', copy.upstream]);
          const text = (await this.#read(copy, 'HEAD', file)) ?? new Uint8Array();
          const edit = await this.#yaml.setImage(text, request.locator, { file, expectedCurrentImage: promoted, newImage: previous });
          if (!edit.changed) {
            return { ...base, commit: await lastCommitTouching(copy, file), created: false, method, restoredImage: previous, outcome: 'already-in-place', attempts: attempt };
          }
          await stageFile(copy, file, edit.text);
        } else if ((await copy.git(['diff', '--cached', '--quiet'], { allowFailure: true })).code === 0) {
          // Reverting changes nothing: someone already undid the promotion by hand.
          return { ...base, commit: await lastCommitTouching(copy, file), created: false, method, restoredImage: previous, outcome: 'already-in-place', attempts: attempt };
        }
        const subject = (await copy.git(['log', '-1', '--format=%s', target])).stdout.trim();
        const message = commitMessage({
          subject: method === 'revert' ? `Revert "${subject}"` : rollbackSubject(previous),
          body:
            method === 'revert'
              ? `This reverts commit ${target}.`
              : `${file}: ${promoted} -> ${previous}. Restores the image commit ${target} replaced; git revert conflicted with later changes.`,
          promotionId: request.promotionId,
          action: 'rollback',
          rollbackMethod: method,
        });
        await copy.git(['commit', '--quiet', '--no-verify', '-F', '-'], { input: message });
        const commit = await copy.head();
        if ((await this.#pushChange(copy, proposal, proposed, attempt)) === 'pushed') {
          this.#logger.info({ ...base, commit, promotionId: request.promotionId, method, ...(proposal && { proposal: proposal.branch }) }, `rolled back ${file} to ${previous}`);
          if (proposal) return { ...base, branch: proposal.branch, commit, created: true, method, restoredImage: previous, outcome: 'proposed', attempts: attempt };
          return { ...base, commit, created: true, method, restoredImage: previous, outcome: method === 'revert' ? 'reverted' : 'restored', attempts: attempt };
        }
      }
    });
  }

  async finalizeRelease(request: FinalizeReleaseRequest): Promise<FinalizeReleaseResult> {
    const repository = findRepository(this.#config, request.repository);
    checkPromotionId(request.promotionId, repository.name);
    const versionFile = checkedFile(request.versionFile ?? 'VERSION', repository.name);
    if (!/^[0-9A-Za-z][0-9A-Za-z.+_-]{0,127}$/.test(request.version)) {
      throw new GitError({ code: 'invalid-argument', repository: repository.name, message: `'${request.version}' is not a version (e.g. 1.2.1)`, retryable: false });
    }
    if (/[\r\n]/.test(request.name) || request.name.trim() === '') {
      throw new GitError({ code: 'invalid-argument', repository: repository.name, message: 'the release name must be one non-empty line', retryable: false });
    }
    const tag = request.tag ?? `v${request.version}`;
    const validTag = await this.#runner.run(['check-ref-format', `refs/tags/${tag}`], { allowFailure: true });
    if (validTag.code !== 0 || tag.startsWith('-')) {
      throw new GitError({ code: 'invalid-argument', repository: repository.name, message: `'${tag}' is not a valid tag name`, retryable: false });
    }
    const tagMessage = request.tagMessage ?? defaultTagMessage(request.promotionId);
    const base = { repository: repository.name, branch: repository.branch, tag };
    const proposal = request.proposal && checkedProposal(request.proposal, repository);
    if (request.releaseCommit !== undefined && !/^[0-9a-f]{7,64}$/.test(request.releaseCommit)) {
      throw new GitError({ code: 'invalid-argument', repository: repository.name, message: `'${request.releaseCommit.slice(0, 80)}' is not a commit id`, retryable: false });
    }
    return this.#withWorkingCopy(repository, async (copy) => {
      for (let attempt = 1; ; attempt++) {
        await copy.sync();
        const existing = await remoteTagCommit(copy, tag);
        if (existing) {
          await copy.git(['fetch', '--no-tags', 'origin', `+refs/tags/${tag}:refs/tags/${tag}`], { remote: true });
          const trailers = await commitTrailers(copy, existing);
          if (existing === request.releaseCommit || (trailers.ids.includes(request.promotionId) && trailers.actions.includes('release'))) {
            return { ...base, commit: existing, created: false, outcome: 'tag-exists', attempts: attempt };
          }
          throw new GitError({
            code: 'tag-conflict',
            repository: repository.name,
            message: `tag ${tag} already exists and points to commit ${existing.slice(0, 12)}, which is not the release commit of promotion ${request.promotionId}; it is left as it is`,
            retryable: false,
          });
        }
        let commit = request.releaseCommit !== undefined ? await this.#commitOnBranch(copy, request.releaseCommit) : (await findOwnCommit(copy, request.promotionId, 'release'))?.commit;
        if (commit === undefined) {
          const proposed = proposal && (await syncProposalBranch(copy, proposal.branch));
          const own = proposed && !proposal.rebase ? await ownTip(copy, proposed, request.promotionId, 'release') : undefined;
          if (proposal && own) return { ...base, branch: proposal.branch, commit: own.commit, created: false, outcome: 'found-own-proposal', attempts: attempt };
          // A VERSION that is a link (or under one) stops the release here: nothing is committed or tagged.
          await stageFile(copy, versionFile, `${request.version}\n`);
          const message = commitMessage({ subject: releaseSubject(request.name, request.version), promotionId: request.promotionId, action: 'release' });
          // --allow-empty: the release commit exists (and carries the trailer) even if VERSION already said so.
          await copy.git(['commit', '--quiet', '--no-verify', '--allow-empty', '-F', '-'], { input: message });
          if ((await this.#pushChange(copy, proposal, proposed, attempt)) === 'rejected') continue;
          commit = await copy.head();
          // Through a pull request the tag waits for the merge: it goes on the merge commit (releaseCommit).
          if (proposal) return { ...base, branch: proposal.branch, commit, created: true, outcome: 'proposed', attempts: attempt };
        }
        // --force replaces only a local leftover of a crashed attempt; the push below never forces.
        await copy.git(['tag', '--force', '--annotate', '--file=-', tag, commit], { input: tagMessage });
        if ((await this.#push(copy, [`refs/tags/${tag}:refs/tags/${tag}`], attempt)) === 'pushed') {
          this.#logger.info({ ...base, commit, promotionId: request.promotionId }, `released ${request.name} ${tag}`);
          return { ...base, commit, created: true, outcome: 'released', attempts: attempt };
        }
      }
    });
  }

  // -------------------------------------------------------------------------------------------------

  /** A file of the repository at a revision, as Git stores it, within the size limit. */
  #read(copy: WorkingCopy, revision: string, file: string): Promise<Uint8Array | undefined> {
    return readRepositoryFile(copy, revision, file, this.#limits.maxFileBytes);
  }

  #withWorkingCopy<T>(repository: GitRepositoryConfig, work: (copy: WorkingCopy) => Promise<T>): Promise<T> {
    const copy = new WorkingCopy(repository, workingCopyDir(this.#config, repository), this.#runner, this.#credentials);
    return this.#locks.run(repository.name, () => work(copy));
  }

  /**
   * Pushes the commit at HEAD: to the configured branch, or for a proposal to its own branch, replacing what
   * this promotion pushed there before (`--force-with-lease` against the tip it fetched, so a push someone
   * else made to that branch meanwhile is never overwritten unseen: the lease fails and the round repeats).
   */
  #pushChange(copy: WorkingCopy, proposal: ProposalTarget | undefined, fetchedTip: string | undefined, attempt: number): Promise<'pushed' | 'rejected'> {
    if (!proposal) return this.#push(copy, [`HEAD:refs/heads/${copy.repository.branch}`], attempt);
    return this.#push(copy, [`HEAD:refs/heads/${proposal.branch}`], attempt, [`--force-with-lease=refs/heads/${proposal.branch}:${fetchedTip ?? ''}`]);
  }

  /**
   * Pushes; 'rejected' when another push won the race (the caller fetches, re-applies and calls again),
   * a GitError for anything else, and `push-rejected` once the attempts are used up.
   */
  async #push(copy: WorkingCopy, refspecs: readonly string[], attempt: number, flags: readonly string[] = []): Promise<'pushed' | 'rejected'> {
    const result = await copy.git(['push', '--porcelain', ...flags, 'origin', ...refspecs], { remote: true, allowFailure: true });
    if (result.code === 0) return 'pushed';
    const output = `${result.stdout}\n${result.stderr}`;
    const lost = /\[rejected\]|\[remote rejected\][^\n]*(failed to update ref|cannot lock ref|incorrect old value|stale info|failed to lock)/.test(output);
    if (!lost) {
      const refused = /\[remote rejected\][^\n]*/.exec(output);
      if (refused) {
        // GitHub: "protected branch hook declined" (GH006); GitLab: "pre-receive hook declined" with "protected branches".
        const protectedBranch = /protected branch|GH006|pre-receive hook declined/i.test(output);
        const hint = protectedBranch
          ? `; the branch is protected: give repository '${copy.repository.name}' changes: pull-request (and its forge) in the repositories file, so promotions go through pull requests`
          : '';
        throw new GitError({ code: 'push-refused', repository: copy.repository.name, message: `the server refused the push: ${refused[0].trim()}${hint}`, retryable: false });
      }
      throw classify('git push', result.stdout, result.stderr, copy.repository.name);
    }
    const attempts = this.#config.pushAttempts;
    if (attempt >= attempts) {
      throw new GitError({
        code: 'push-rejected',
        repository: copy.repository.name,
        message: `the push was rejected ${attempts} times because ${copy.repository.branch} kept moving; try again later`,
      });
    }
    this.#logger.warn({ repository: copy.repository.name, branch: copy.repository.branch, attempt, attempts }, 'push rejected: the branch moved; fetching and re-applying');
    return 'rejected';
  }

  /** The full id of `given`, checked to be on the configured branch (a commit a forge reported merged there). */
  async #commitOnBranch(copy: WorkingCopy, given: string): Promise<string> {
    const resolved = await copy.git(['rev-parse', '--verify', '--quiet', `${given}^{commit}`], { allowFailure: true });
    const commit = resolved.stdout.trim();
    if (resolved.code !== 0 || (await copy.git(['merge-base', '--is-ancestor', commit, copy.upstream], { allowFailure: true })).code !== 0) {
      throw new GitError({ code: 'not-own-commit', repository: copy.repository.name, message: `commit ${given.slice(0, 12)} is not on branch ${copy.repository.branch}`, retryable: false });
    }
    return commit;
  }

  /** The full id of the commit to revert, checked to be on the branch and to be this promotion's own. */
  async #ownPromotionCommit(copy: WorkingCopy, repository: GitRepositoryConfig, request: RevertImageRequest, given: string): Promise<string> {
    const resolved = await copy.git(['rev-parse', '--verify', '--quiet', `${given}^{commit}`], { allowFailure: true });
    const commit = resolved.stdout.trim();
    const onBranch = resolved.code === 0 && (await copy.git(['merge-base', '--is-ancestor', commit, copy.upstream], { allowFailure: true })).code === 0;
    if (!onBranch) {
      throw new GitError({ code: 'not-own-commit', repository: repository.name, message: `commit ${given} is not on branch ${repository.branch}`, retryable: false });
    }
    // A forge's merge (or squash) of the promotion's pull request writes its own message: on the branch is enough.
    if (request.proposal) return commit;
    const trailers = await commitTrailers(copy, commit);
    if (!trailers.ids.includes(request.promotionId) || !trailers.actions.includes('promote')) {
      throw new GitError({
        code: 'not-own-commit',
        repository: repository.name,
        message: `commit ${commit.slice(0, 12)} is not the promotion commit of ${request.promotionId}; only its own commit is reverted`,
        retryable: false,
      });
    }
    return commit;
  }
}
