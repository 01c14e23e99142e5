import { PLATFORMS, startDemo, type Demo } from './demo-harness.js';

describe.each(PLATFORMS)('article workflow with roles on %s', (platform) => {
  let demo: Demo;
  beforeAll(async () => {
    demo = await startDemo(platform);
  });
  afterAll(async () => {
    await demo.close();
  });

  const send = (id: number, role: string | undefined, body: object) => {
    const req = demo.http().post(`/articles/${id}/events`);
    return (role ? req.set('X-User-Role', role) : req).send(body);
  };
  const create = async (text = 'some words here') =>
    (await demo.http().post('/articles').send({ title: 'On state machines', text }).expect(201))
      .body.id as number;

  it('runs the nested review workflow with the right roles', async () => {
    const id = await create();
    await send(id, 'author', { type: 'SUBMIT' }).expect(200);
    expect((await demo.http().get(`/articles/${id}`)).body.state).toBe('review.awaiting_editor');
    await send(id, 'editor', { type: 'CLAIM' }).expect(200);
    const changes = await send(id, 'editor', {
      type: 'REQUEST_CHANGES',
      comment: 'Shorter, please',
    }).expect(200);
    expect(changes.body).toMatchObject({
      state: 'review.changes_requested',
      lastComment: 'Shorter, please',
    });
    await send(id, 'author', { type: 'RESUBMIT' }).expect(200);
    await send(id, 'editor', { type: 'CLAIM' }).expect(200);
    await send(id, 'editor', { type: 'APPROVE' }).expect(200);
    expect((await demo.http().get(`/articles/${id}`)).body).toMatchObject({
      state: 'published',
      version: 6,
    });
  });

  it('answers 403 for a caller without the role, before revealing anything about the state', async () => {
    const id = await create();
    // APPROVE is illegal from draft, but the caller is not an editor: 403 comes first and says nothing of the state.
    const res = await send(id, 'author', { type: 'APPROVE' }).expect(403);
    expect(res.body).toEqual({
      statusCode: 403,
      error: 'Forbidden',
      code: 'ROLE_REQUIRED',
      message: 'APPROVE on article needs one of the roles: editor',
      resource: 'article',
      id: String(id),
      event: 'APPROVE',
      requiredRoles: ['editor'],
    });
    expect(JSON.stringify(res.body)).not.toContain('draft');
    await send(id, undefined, { type: 'SUBMIT' }).expect(403);
    // Even for an article that does not exist: 403 before 404.
    await send(987654, 'author', { type: 'APPROVE' }).expect(403);
    expect((await demo.http().get(`/articles/${id}`)).body).toMatchObject({
      state: 'draft',
      version: 0,
    });
  });

  it('answers 409 to an editor for an illegal move, with the guard that refused', async () => {
    const empty = await create('');
    const res = await send(empty, 'author', { type: 'SUBMIT' }).expect(409);
    expect(res.body).toMatchObject({
      reason: 'guard-rejected',
      blockedBy: ['hasContent'],
      currentState: 'draft',
    });
    const id = await create();
    const early = await send(id, 'editor', { type: 'APPROVE' }).expect(409);
    expect(early.body).toMatchObject({
      reason: 'no-transition',
      currentState: 'draft',
      allowedEvents: ['SUBMIT'],
    });
  });

  it('validates the JSON Schema payload after the state check (order of checks)', async () => {
    const id = await create();
    // From draft, REQUEST_CHANGES has no transition: 409 no-transition, even with a bad payload.
    await send(id, 'editor', { type: 'REQUEST_CHANGES' }).expect(409);
    await send(id, 'author', { type: 'SUBMIT' }).expect(200);
    await send(id, 'editor', { type: 'CLAIM' }).expect(200);
    // Now it could happen: the payload is checked, 400.
    const res = await send(id, 'editor', { type: 'REQUEST_CHANGES' }).expect(400);
    expect(res.body).toMatchObject({ code: 'INVALID_PAYLOAD', issues: [{ path: ['comment'] }] });
  });
});
