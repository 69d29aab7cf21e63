extension OpenAPIDocument {
    static let info = #"""
        openapi: 3.1.0
        info:
          title: Sluice server API
          version: 1.0.0
          summary: Central management of Sluice nodes, policy, events, alerts and users.
          description: |
            JSON bodies use snake_case keys; times are RFC 3339 strings in UTC with microseconds.
            Every error answer is an `Error` object with a message (and, for a rejected policy push,
            every diagnostic in `details`). Agents authenticate with their node credential; people
            and tools with an API token from `POST /api/v1/login` or `POST /api/v1/tokens`, sent as
            `Authorization: Bearer <token>`; the web console (served at `/`) signs in with a session cookie
            instead and sends `X-CSRF-Token` with every state change. The roles: viewer reads everything; operator also pushes,
            rolls back and deletes policy, acknowledges alerts and decides learned rules; admin does
            everything, including users, join tokens, node revocation and labels, and the audit log.
            A node credential never passes as a user token, nor a user token as a node credential.
          license:
            name: Apache-2.0
            identifier: Apache-2.0
        servers:
          - url: https://sluice.example.internal:8443
        security:
          - apiToken: []
        tags:
          - name: agent
            description: The protocol between agents and the server.
          - name: session
          - name: users
          - name: tokens
          - name: nodes
          - name: policies
          - name: events
          - name: alerts
          - name: rules
          - name: audit
          - name: operations
        webhooks:
          alert.raised:
            post:
              summary: A new alert, sent to every configured webhook
              description: |
                The body is signed: `X-Sluice-Signature: sha256=<hex HMAC-SHA256 of the body with the shared secret>`;
                `X-Sluice-Timestamp` is the sending time in Unix seconds (also `sent` in the signed body).
                A non-2xx answer is retried after 1 s, 5 s and 30 s.
              parameters:
                - {name: X-Sluice-Signature, in: header, required: true, schema: {type: string, pattern: '^sha256=[0-9a-f]{64}$'}}
                - {name: X-Sluice-Timestamp, in: header, required: true, schema: {type: string}}
                - {name: X-Sluice-Event, in: header, required: true, schema: {type: string, const: alert.raised}}
              requestBody:
                required: true
                content:
                  application/json:
                    schema: {$ref: '#/components/schemas/AlertNotification'}
              responses:
                '200': {description: Received}

        """#

    static let paths = agentPaths + sessionPaths + userPaths + nodePaths + policyPaths + eventPaths + alertPaths + operationPaths + consolePaths

    static let agentPaths = #"""
        paths:
          /api/v1/agent/enroll:
            post:
              tags: [agent]
              operationId: enroll
              summary: Enroll a node with a join token
              description: |
                Creates a node (a new id every time, even for a known name) and returns its credential, shown
                this once. The node's labels are its own merged with the join token's (the token's win).
              security: []
              requestBody:
                required: true
                content:
                  application/json:
                    schema: {$ref: '#/components/schemas/EnrollRequest'}
              responses:
                '201':
                  description: Enrolled
                  content:
                    application/json:
                      schema: {$ref: '#/components/schemas/EnrollResponse'}
                '400': {$ref: '#/components/responses/BadRequest'}
                '401': {description: Unknown join token, content: {application/json: {schema: {$ref: '#/components/schemas/Error'}}}}
                '403': {description: The join token was revoked or has expired, content: {application/json: {schema: {$ref: '#/components/schemas/Error'}}}}
                '429': {$ref: '#/components/responses/TooManyRequests'}
          /api/v1/agent/heartbeat:
            post:
              tags: [agent]
              operationId: heartbeat
              summary: Report the node's state; receive operator decisions on learned rules
              security: [{nodeCredential: []}]
              requestBody:
                required: true
                content:
                  application/json:
                    schema: {$ref: '#/components/schemas/Heartbeat'}
              responses:
                '200':
                  description: Recorded
                  content:
                    application/json:
                      schema: {$ref: '#/components/schemas/HeartbeatResponse'}
                '400': {$ref: '#/components/responses/BadRequest'}
                '401': {$ref: '#/components/responses/Unauthorized'}
                '403': {$ref: '#/components/responses/Revoked'}
          /api/v1/agent/policy:
            get:
              tags: [agent]
              operationId: pollPolicy
              summary: The node's policies, as soon as the fleet revision passes `after` (long poll)
              description: |
                Without `after` the current bundle is returned at once. With it, the request waits until the
                fleet revision passes `after` (a push, rollback, delete or node label change anywhere in the
                fleet, on any replica) or `wait` seconds pass, then answers 304 Not Modified.
              security: [{nodeCredential: []}]
              parameters:
                - {name: after, in: query, schema: {type: integer, minimum: 0}, description: The revision the node has}
                - {name: wait, in: query, schema: {type: integer, minimum: 0, maximum: 60, default: 30}, description: Seconds to wait}
              responses:
                '200':
                  description: The policies whose node selector matches the node's labels, at the current revision
                  content:
                    application/json:
                      schema: {$ref: '#/components/schemas/PolicyBundle'}
                '304': {description: The revision did not pass `after` within `wait`}
                '400': {$ref: '#/components/responses/BadRequest'}
                '401': {$ref: '#/components/responses/Unauthorized'}
                '403': {$ref: '#/components/responses/Revoked'}
          /api/v1/agent/events:
            post:
              tags: [agent]
              operationId: uploadEvents
              summary: Upload a batch of decision events
              description: |
                The body is NDJSON: one event per line in the event schema (`sluice events --output json`).
                A batch whose (node, sequence) was stored already is acknowledged with `duplicate: true` and not
                stored again. At most 5000 events and 8 MiB per batch, 64 KiB per line. When the server is busy
                it answers 503 with Retry-After: keep the batch and send it again then.
              security: [{nodeCredential: []}]
              parameters:
                - {name: sequence, in: query, required: true, schema: {type: integer, minimum: 0}, description: The batch's number (per node)}
              requestBody:
                required: true
                content:
                  application/x-ndjson:
                    schema: {$ref: '#/components/schemas/DecisionEvent'}
              responses:
                '200':
                  description: Stored, or stored before
                  content:
                    application/json:
                      schema: {$ref: '#/components/schemas/EventBatchResponse'}
                '400': {$ref: '#/components/responses/BadRequest'}
                '401': {$ref: '#/components/responses/Unauthorized'}
                '403': {$ref: '#/components/responses/Revoked'}
                '413': {$ref: '#/components/responses/TooLarge'}
                '503': {$ref: '#/components/responses/Busy'}
          /api/v1/agent/rules:
            post:
              tags: [agent]
              operationId: uploadLearnedRules
              summary: Replace the node's snapshot of learned rules
              security: [{nodeCredential: []}]
              requestBody:
                required: true
                content:
                  application/json:
                    schema:
                      type: array
                      maxItems: 20000
                      items: {$ref: '#/components/schemas/LearnedRule'}
              responses:
                '200':
                  description: Stored
                  content:
                    application/json:
                      schema: {$ref: '#/components/schemas/RuleSnapshotResponse'}
                '400': {$ref: '#/components/responses/BadRequest'}
                '401': {$ref: '#/components/responses/Unauthorized'}
                '403': {$ref: '#/components/responses/Revoked'}
                '413': {$ref: '#/components/responses/TooLarge'}

        """#

    static let sessionPaths = #"""
          /api/v1/login:
            post:
              tags: [session]
              operationId: login
              summary: Exchange a user name and password for a new API token, or a browser session
              description: |
                Failed logins are throttled per user name and per address (429 with Retry-After).
                With `session: true` (the web console) the token is not in the body: it is set as the
                `sluice_session` cookie (HttpOnly, SameSite=Strict, Path=/, Secure when the server speaks TLS,
                ending after 12 hours) and the answer is a `SessionCreated` whose `csrf_token` must be sent as
                `X-CSRF-Token` with every POST, PUT, PATCH and DELETE made with the cookie (403 otherwise).
              security: []
              requestBody:
                required: true
                content:
                  application/json:
                    schema: {$ref: '#/components/schemas/LoginRequest'}
              responses:
                '201':
                  description: Logged in; the token is shown this once (a session gets the cookie and a CSRF token instead)
                  headers:
                    Set-Cookie: {description: 'With session true: sluice_session=…; Path=/; Max-Age=43200; HttpOnly; SameSite=Strict[; Secure]', schema: {type: string}}
                  content:
                    application/json:
                      schema:
                        oneOf:
                          - {$ref: '#/components/schemas/APITokenCreated'}
                          - {$ref: '#/components/schemas/SessionCreated'}
                '400': {$ref: '#/components/responses/BadRequest'}
                '401': {description: Wrong user name or password, content: {application/json: {schema: {$ref: '#/components/schemas/Error'}}}}
                '429': {$ref: '#/components/responses/TooManyRequests'}
          /api/v1/logout:
            post:
              tags: [session]
              operationId: logout
              summary: Revoke the token presented (signing out of a session also clears its cookie)
              x-sluice-role: viewer
              security: [{apiToken: []}, {sessionCookie: []}]
              responses:
                '204': {description: Revoked}
                '401': {$ref: '#/components/responses/Unauthorized'}
                '403': {$ref: '#/components/responses/Forbidden'}
          /api/v1/session:
            get:
              tags: [session]
              operationId: session
              summary: The signed-in user and the CSRF token of the session cookie presented
              description: A reloaded console page asks again for the CSRF token it lost; a bearer token gets 400.
              x-sluice-role: viewer
              security: [{sessionCookie: []}]
              responses:
                '200':
                  description: The session
                  content:
                    application/json:
                      schema: {$ref: '#/components/schemas/SessionCreated'}
                '400': {$ref: '#/components/responses/BadRequest'}
                '401': {$ref: '#/components/responses/Unauthorized'}
          /api/v1/me:
            get:
              tags: [session]
              operationId: me
              summary: The caller and the token presented
              x-sluice-role: viewer
              responses:
                '200':
                  description: The caller
                  content:
                    application/json:
                      schema: {$ref: '#/components/schemas/MeResponse'}
                '401': {$ref: '#/components/responses/Unauthorized'}
          /api/v1/tokens:
            get:
              tags: [tokens]
              operationId: listTokens
              summary: The caller's API tokens (with all=true, an admin sees everyone's)
              x-sluice-role: viewer
              parameters:
                - {name: all, in: query, schema: {type: boolean}}
              responses:
                '200':
                  description: Tokens, newest first
                  content:
                    application/json:
                      schema: {type: array, items: {$ref: '#/components/schemas/APITokenInfo'}}
                '401': {$ref: '#/components/responses/Unauthorized'}
                '403': {$ref: '#/components/responses/Forbidden'}
            post:
              tags: [tokens]
              operationId: createToken
              summary: A new named API token for the caller (for scripts and CI)
              x-sluice-role: viewer
              requestBody:
                required: true
                content:
                  application/json:
                    schema: {$ref: '#/components/schemas/CreateAPITokenRequest'}
              responses:
                '201':
                  description: Created; the token is shown this once
                  content:
                    application/json:
                      schema: {$ref: '#/components/schemas/APITokenCreated'}
                '400': {$ref: '#/components/responses/BadRequest'}
                '401': {$ref: '#/components/responses/Unauthorized'}
          /api/v1/tokens/{id}:
            delete:
              tags: [tokens]
              operationId: revokeToken
              summary: Revoke an API token (your own; an admin may revoke anyone's)
              x-sluice-role: viewer
              parameters:
                - {name: id, in: path, required: true, schema: {type: integer}}
              responses:
                '200':
                  description: Revoked
                  content:
                    application/json:
                      schema: {$ref: '#/components/schemas/APITokenInfo'}
                '401': {$ref: '#/components/responses/Unauthorized'}
                '404': {$ref: '#/components/responses/NotFound'}

        """#

    static let userPaths = #"""
          /api/v1/users:
            get:
              tags: [users]
              operationId: listUsers
              summary: Every user
              x-sluice-role: admin
              responses:
                '200':
                  description: Users by name
                  content:
                    application/json:
                      schema: {type: array, items: {$ref: '#/components/schemas/UserInfo'}}
                '401': {$ref: '#/components/responses/Unauthorized'}
                '403': {$ref: '#/components/responses/Forbidden'}
            post:
              tags: [users]
              operationId: createUser
              summary: Create a user
              x-sluice-role: admin
              requestBody:
                required: true
                content:
                  application/json:
                    schema: {$ref: '#/components/schemas/CreateUserRequest'}
              responses:
                '201':
                  description: Created
                  content:
                    application/json:
                      schema: {$ref: '#/components/schemas/UserInfo'}
                '400': {$ref: '#/components/responses/BadRequest'}
                '401': {$ref: '#/components/responses/Unauthorized'}
                '403': {$ref: '#/components/responses/Forbidden'}
                '409': {$ref: '#/components/responses/Conflict'}
          /api/v1/users/{name}:
            patch:
              tags: [users]
              operationId: updateUser
              summary: Change a user's role, password or disabled flag
              description: |
                Admins change anything, except that the last enabled admin cannot be demoted or disabled (409).
                Any user may change their own password. A new password or disabling ends the user's login sessions.
              x-sluice-role: viewer
              parameters:
                - {name: name, in: path, required: true, schema: {type: string}}
              requestBody:
                required: true
                content:
                  application/json:
                    schema: {$ref: '#/components/schemas/UpdateUserRequest'}
              responses:
                '200':
                  description: Changed
                  content:
                    application/json:
                      schema: {$ref: '#/components/schemas/UserInfo'}
                '400': {$ref: '#/components/responses/BadRequest'}
                '401': {$ref: '#/components/responses/Unauthorized'}
                '403': {$ref: '#/components/responses/Forbidden'}
                '404': {$ref: '#/components/responses/NotFound'}
                '409': {$ref: '#/components/responses/Conflict'}
          /api/v1/join-tokens:
            get:
              tags: [tokens]
              operationId: listJoinTokens
              summary: Join tokens, newest first
              x-sluice-role: admin
              responses:
                '200':
                  description: Join tokens (never the secrets)
                  content:
                    application/json:
                      schema: {type: array, items: {$ref: '#/components/schemas/JoinTokenInfo'}}
                '401': {$ref: '#/components/responses/Unauthorized'}
                '403': {$ref: '#/components/responses/Forbidden'}
            post:
              tags: [tokens]
              operationId: createJoinToken
              summary: A join token for enrolling nodes
              x-sluice-role: admin
              requestBody:
                required: true
                content:
                  application/json:
                    schema: {$ref: '#/components/schemas/CreateJoinTokenRequest'}
              responses:
                '201':
                  description: Created; the token is shown this once
                  content:
                    application/json:
                      schema: {$ref: '#/components/schemas/JoinTokenCreated'}
                '400': {$ref: '#/components/responses/BadRequest'}
                '401': {$ref: '#/components/responses/Unauthorized'}
                '403': {$ref: '#/components/responses/Forbidden'}
          /api/v1/join-tokens/{id}:
            delete:
              tags: [tokens]
              operationId: revokeJoinToken
              summary: Revoke a join token (nodes enrolled with it stay)
              x-sluice-role: admin
              parameters:
                - {name: id, in: path, required: true, schema: {type: integer}}
              responses:
                '200':
                  description: Revoked
                  content:
                    application/json:
                      schema: {$ref: '#/components/schemas/JoinTokenInfo'}
                '401': {$ref: '#/components/responses/Unauthorized'}
                '403': {$ref: '#/components/responses/Forbidden'}
                '404': {$ref: '#/components/responses/NotFound'}
          /api/v1/audit:
            get:
              tags: [audit]
              operationId: audit
              summary: Every change, newest first
              x-sluice-role: admin
              parameters:
                - {name: actor, in: query, schema: {type: string}, description: 'user:NAME, node:ID, join_token:NAME, peer:ADDRESS or system'}
                - {name: action, in: query, schema: {type: string}, description: 'An action (policy.push) or a prefix (policy)'}
                - {name: target, in: query, schema: {type: string}}
                - {$ref: '#/components/parameters/since'}
                - {$ref: '#/components/parameters/until'}
                - {$ref: '#/components/parameters/cursor'}
                - {$ref: '#/components/parameters/limit'}
              responses:
                '200':
                  description: A page of entries
                  content:
                    application/json:
                      schema: {$ref: '#/components/schemas/AuditPage'}
                '400': {$ref: '#/components/responses/BadRequest'}
                '401': {$ref: '#/components/responses/Unauthorized'}
                '403': {$ref: '#/components/responses/Forbidden'}

        """#

    static let nodePaths = #"""
          /api/v1/nodes:
            get:
              tags: [nodes]
              operationId: listNodes
              summary: Enrolled nodes with their state (revoked ones only when asked)
              x-sluice-role: viewer
              parameters:
                - {name: rollout, in: query, schema: {$ref: '#/components/schemas/RolloutState'}}
                - {name: labels, in: query, schema: {type: string}, description: 'key=value,key=value: nodes with all of them'}
                - {name: include_revoked, in: query, schema: {type: boolean}}
              responses:
                '200':
                  description: Nodes by name
                  content:
                    application/json:
                      schema: {type: array, items: {$ref: '#/components/schemas/NodeInfo'}}
                '400': {$ref: '#/components/responses/BadRequest'}
                '401': {$ref: '#/components/responses/Unauthorized'}
          /api/v1/nodes/{id}:
            get:
              tags: [nodes]
              operationId: showNode
              summary: One node
              x-sluice-role: viewer
              parameters:
                - {$ref: '#/components/parameters/nodeId'}
              responses:
                '200':
                  description: The node
                  content:
                    application/json:
                      schema: {$ref: '#/components/schemas/NodeInfo'}
                '401': {$ref: '#/components/responses/Unauthorized'}
                '404': {$ref: '#/components/responses/NotFound'}
          /api/v1/nodes/{id}/revoke:
            post:
              tags: [nodes]
              operationId: revokeNode
              summary: Revoke a node's credential; it is refused from then on (it keeps enforcing its last policy)
              x-sluice-role: admin
              parameters:
                - {$ref: '#/components/parameters/nodeId'}
              responses:
                '200':
                  description: Revoked
                  content:
                    application/json:
                      schema: {$ref: '#/components/schemas/NodeInfo'}
                '401': {$ref: '#/components/responses/Unauthorized'}
                '403': {$ref: '#/components/responses/Forbidden'}
                '404': {$ref: '#/components/responses/NotFound'}
          /api/v1/nodes/{id}/labels:
            put:
              tags: [nodes]
              operationId: setNodeLabels
              summary: Replace a node's labels (bumps the fleet revision, since its policies may change)
              x-sluice-role: admin
              parameters:
                - {$ref: '#/components/parameters/nodeId'}
              requestBody:
                required: true
                content:
                  application/json:
                    schema: {$ref: '#/components/schemas/NodeLabelsRequest'}
              responses:
                '200':
                  description: Changed
                  content:
                    application/json:
                      schema: {$ref: '#/components/schemas/NodeInfo'}
                '400': {$ref: '#/components/responses/BadRequest'}
                '401': {$ref: '#/components/responses/Unauthorized'}
                '403': {$ref: '#/components/responses/Forbidden'}
                '404': {$ref: '#/components/responses/NotFound'}
          /api/v1/rollout:
            get:
              tags: [nodes]
              operationId: rollout
              summary: Every node's state for the current revision
              x-sluice-role: viewer
              responses:
                '200':
                  description: Rollout
                  content:
                    application/json:
                      schema: {$ref: '#/components/schemas/RolloutStatus'}
                '401': {$ref: '#/components/responses/Unauthorized'}

        """#
}
