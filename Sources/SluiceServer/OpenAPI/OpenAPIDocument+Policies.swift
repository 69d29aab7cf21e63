extension OpenAPIDocument {
    static let policyPaths = #"""
          /api/v1/policies:
            get:
              tags: [policies]
              operationId: listPolicies
              summary: The latest version of every policy
              x-sluice-role: viewer
              parameters:
                - {name: include_deleted, in: query, schema: {type: boolean}}
              responses:
                '200':
                  description: Latest versions by name
                  content:
                    application/json:
                      schema: {type: array, items: {$ref: '#/components/schemas/PolicyVersion'}}
                '401': {$ref: '#/components/responses/Unauthorized'}
            post:
              tags: [policies]
              operationId: pushPolicies
              summary: Push policy documents
              description: |
                Every text may hold several `---` separated documents; each policy is versioned on its own.
                The documents are parsed and validated together with the fleet's other current policies
                whose node selectors can reach the same nodes (the server does not compile: executables and
                cgroups exist only on nodes). Any error rejects the whole push with 422 and every diagnostic,
                `file:line:column: error: field: message`, in `details`; nothing is stored. A policy whose
                text and node selector are unchanged gets no version. A push that changes anything bumps the
                fleet revision once, and long-polling agents receive it at once.

                Node selector: `node_selector` in the request applies to every policy pushed; without it each
                policy's `metadata.labels["sluice.io/nodes"]` (`key=value,key=value`) chooses; without either
                the policy goes to every node. A node receives a policy when it has every label of the selector.
              x-sluice-role: operator
              requestBody:
                required: true
                content:
                  application/json:
                    schema: {$ref: '#/components/schemas/PolicyPushRequest'}
              responses:
                '200':
                  description: Nothing changed
                  content:
                    application/json:
                      schema: {$ref: '#/components/schemas/PolicyChangeResponse'}
                '201':
                  description: New versions created
                  content:
                    application/json:
                      schema: {$ref: '#/components/schemas/PolicyChangeResponse'}
                '400': {$ref: '#/components/responses/BadRequest'}
                '401': {$ref: '#/components/responses/Unauthorized'}
                '403': {$ref: '#/components/responses/Forbidden'}
                '413': {$ref: '#/components/responses/TooLarge'}
                '422': {$ref: '#/components/responses/Rejected'}
          /api/v1/policies/{name}:
            get:
              tags: [policies]
              operationId: showPolicy
              summary: The latest version of a policy
              x-sluice-role: viewer
              parameters:
                - {$ref: '#/components/parameters/policyName'}
              responses:
                '200':
                  description: The latest version (deleted or not)
                  content:
                    application/json:
                      schema: {$ref: '#/components/schemas/PolicyVersion'}
                '401': {$ref: '#/components/responses/Unauthorized'}
                '404': {$ref: '#/components/responses/NotFound'}
            delete:
              tags: [policies]
              operationId: deletePolicy
              summary: Delete a policy (a new, deleted version; the history stays)
              x-sluice-role: operator
              parameters:
                - {$ref: '#/components/parameters/policyName'}
                - {name: message, in: query, schema: {type: string, maxLength: 4096}}
              responses:
                '201':
                  description: Deleted
                  content:
                    application/json:
                      schema: {$ref: '#/components/schemas/PolicyChangeResponse'}
                '401': {$ref: '#/components/responses/Unauthorized'}
                '403': {$ref: '#/components/responses/Forbidden'}
                '404': {$ref: '#/components/responses/NotFound'}
                '409': {$ref: '#/components/responses/Conflict'}
          /api/v1/policies/{name}/history:
            get:
              tags: [policies]
              operationId: policyHistory
              summary: Every version of a policy, newest first
              x-sluice-role: viewer
              parameters:
                - {$ref: '#/components/parameters/policyName'}
              responses:
                '200':
                  description: Versions
                  content:
                    application/json:
                      schema: {type: array, items: {$ref: '#/components/schemas/PolicyVersion'}}
                '401': {$ref: '#/components/responses/Unauthorized'}
                '404': {$ref: '#/components/responses/NotFound'}
          /api/v1/policies/{name}/versions/{version}:
            get:
              tags: [policies]
              operationId: policyVersion
              summary: One version of a policy
              x-sluice-role: viewer
              parameters:
                - {$ref: '#/components/parameters/policyName'}
                - {name: version, in: path, required: true, schema: {type: integer, minimum: 1}}
              responses:
                '200':
                  description: The version
                  content:
                    application/json:
                      schema: {$ref: '#/components/schemas/PolicyVersion'}
                '400': {$ref: '#/components/responses/BadRequest'}
                '401': {$ref: '#/components/responses/Unauthorized'}
                '404': {$ref: '#/components/responses/NotFound'}
          /api/v1/policies/{name}/diff:
            get:
              tags: [policies]
              operationId: policyDiff
              summary: Unified diff between two versions (default the latest and the one before)
              x-sluice-role: viewer
              parameters:
                - {$ref: '#/components/parameters/policyName'}
                - {name: from, in: query, schema: {type: integer, minimum: 1}}
                - {name: to, in: query, schema: {type: integer, minimum: 1}}
              responses:
                '200':
                  description: The diff
                  content:
                    application/json:
                      schema: {$ref: '#/components/schemas/PolicyDiff'}
                '400': {$ref: '#/components/responses/BadRequest'}
                '401': {$ref: '#/components/responses/Unauthorized'}
                '404': {$ref: '#/components/responses/NotFound'}
          /api/v1/policies/{name}/rollback:
            post:
              tags: [policies]
              operationId: rollbackPolicy
              summary: A new version with an earlier version's content (message `rollback to vN`)
              description: The old content is validated with the current policies first (422 with diagnostics).
              x-sluice-role: operator
              parameters:
                - {$ref: '#/components/parameters/policyName'}
              requestBody:
                required: true
                content:
                  application/json:
                    schema: {$ref: '#/components/schemas/PolicyRollbackRequest'}
              responses:
                '200':
                  description: The policy is that content already
                  content:
                    application/json:
                      schema: {$ref: '#/components/schemas/PolicyChangeResponse'}
                '201':
                  description: Rolled back
                  content:
                    application/json:
                      schema: {$ref: '#/components/schemas/PolicyChangeResponse'}
                '400': {$ref: '#/components/responses/BadRequest'}
                '401': {$ref: '#/components/responses/Unauthorized'}
                '403': {$ref: '#/components/responses/Forbidden'}
                '404': {$ref: '#/components/responses/NotFound'}
                '422': {$ref: '#/components/responses/Rejected'}

        """#

    static let eventPaths = #"""
          /api/v1/events:
            get:
              tags: [events]
              operationId: queryEvents
              summary: Stored events, newest first (NDJSON)
              description: |
                One event per line in the event schema. When there may be more, the `Sluice-Next-Cursor` header
                gives the `cursor` of the next (older) page. Filters combine with AND; repeated `node` or `verdict`
                values (or comma lists) combine with OR.
              x-sluice-role: viewer
              parameters:
                - {$ref: '#/components/parameters/since'}
                - {$ref: '#/components/parameters/until'}
                - {$ref: '#/components/parameters/node'}
                - {$ref: '#/components/parameters/exe'}
                - {$ref: '#/components/parameters/dst'}
                - {$ref: '#/components/parameters/port'}
                - {$ref: '#/components/parameters/verdict'}
                - {$ref: '#/components/parameters/policy'}
                - {$ref: '#/components/parameters/cursor'}
                - {name: limit, in: query, schema: {type: integer, minimum: 1, maximum: 5000, default: 100}}
              responses:
                '200':
                  description: Events
                  headers:
                    Sluice-Next-Cursor:
                      description: The cursor of the next page, when there may be one
                      schema: {type: string}
                  content:
                    application/x-ndjson:
                      schema: {$ref: '#/components/schemas/DecisionEvent'}
                '400': {$ref: '#/components/responses/BadRequest'}
                '401': {$ref: '#/components/responses/Unauthorized'}
          /api/v1/events/stream:
            get:
              tags: [events]
              operationId: streamEvents
              summary: Live events as batches arrive (NDJSON, until the client closes)
              description: |
                Lines are events, or notices: `{"notice":"keepalive"}` every 15 s of quiet, and
                `{"notice":"dropped","count":N}` when this reader fell behind and N events were skipped.
              x-sluice-role: viewer
              parameters:
                - {$ref: '#/components/parameters/node'}
                - {$ref: '#/components/parameters/exe'}
                - {$ref: '#/components/parameters/dst'}
                - {$ref: '#/components/parameters/port'}
                - {$ref: '#/components/parameters/verdict'}
                - {$ref: '#/components/parameters/policy'}
              responses:
                '200':
                  description: The stream
                  content:
                    application/x-ndjson:
                      schema: {$ref: '#/components/schemas/DecisionEvent'}
                '400': {$ref: '#/components/responses/BadRequest'}
                '401': {$ref: '#/components/responses/Unauthorized'}
                '503': {$ref: '#/components/responses/Busy'}

        """#

    static let alertPaths = #"""
          /api/v1/alerts:
            get:
              tags: [alerts]
              operationId: listAlerts
              summary: Alerts, newest first
              x-sluice-role: viewer
              parameters:
                - {name: state, in: query, schema: {$ref: '#/components/schemas/AlertState'}}
                - {name: kind, in: query, schema: {$ref: '#/components/schemas/AlertKind'}}
                - {$ref: '#/components/parameters/node'}
                - {$ref: '#/components/parameters/policy'}
                - {$ref: '#/components/parameters/since'}
                - {$ref: '#/components/parameters/cursor'}
                - {$ref: '#/components/parameters/limit'}
              responses:
                '200':
                  description: A page of alerts
                  content:
                    application/json:
                      schema: {$ref: '#/components/schemas/AlertPage'}
                '400': {$ref: '#/components/responses/BadRequest'}
                '401': {$ref: '#/components/responses/Unauthorized'}
          /api/v1/alerts/{id}:
            get:
              tags: [alerts]
              operationId: showAlert
              summary: One alert
              x-sluice-role: viewer
              parameters:
                - {$ref: '#/components/parameters/alertId'}
              responses:
                '200':
                  description: The alert
                  content:
                    application/json:
                      schema: {$ref: '#/components/schemas/AlertInfo'}
                '400': {$ref: '#/components/responses/BadRequest'}
                '401': {$ref: '#/components/responses/Unauthorized'}
                '404': {$ref: '#/components/responses/NotFound'}
          /api/v1/alerts/{id}/events:
            get:
              tags: [alerts]
              operationId: alertEvents
              summary: The events behind an alert (its node, executable and destination in its time span), NDJSON
              x-sluice-role: viewer
              parameters:
                - {$ref: '#/components/parameters/alertId'}
                - {$ref: '#/components/parameters/limit'}
              responses:
                '200':
                  description: Events, newest first
                  content:
                    application/x-ndjson:
                      schema: {$ref: '#/components/schemas/DecisionEvent'}
                '400': {$ref: '#/components/responses/BadRequest'}
                '401': {$ref: '#/components/responses/Unauthorized'}
                '404': {$ref: '#/components/responses/NotFound'}
          /api/v1/alerts/{id}/ack:
            post:
              tags: [alerts]
              operationId: acknowledgeAlert
              summary: Acknowledge an alert (who and when are recorded); repeats then open a new alert
              x-sluice-role: operator
              parameters:
                - {$ref: '#/components/parameters/alertId'}
              requestBody:
                required: false
                content:
                  application/json:
                    schema: {$ref: '#/components/schemas/AcknowledgeAlertRequest'}
              responses:
                '200':
                  description: Acknowledged (or acknowledged before)
                  content:
                    application/json:
                      schema: {$ref: '#/components/schemas/AlertInfo'}
                '400': {$ref: '#/components/responses/BadRequest'}
                '401': {$ref: '#/components/responses/Unauthorized'}
                '403': {$ref: '#/components/responses/Forbidden'}
                '404': {$ref: '#/components/responses/NotFound'}
          /api/v1/rules:
            get:
              tags: [rules]
              operationId: listLearnedRules
              summary: Learned rules as nodes last reported them, with operators' decisions
              x-sluice-role: viewer
              parameters:
                - {$ref: '#/components/parameters/node'}
                - {name: state, in: query, schema: {$ref: '#/components/schemas/LearnedRuleState'}}
                - {name: limit, in: query, schema: {type: integer, minimum: 1, maximum: 10000, default: 1000}}
              responses:
                '200':
                  description: Rules, most recently reported first
                  content:
                    application/json:
                      schema: {type: array, items: {$ref: '#/components/schemas/LearnedRuleRecord'}}
                '400': {$ref: '#/components/responses/BadRequest'}
                '401': {$ref: '#/components/responses/Unauthorized'}
          /api/v1/rules/{node}/{rule}/decision:
            post:
              tags: [rules]
              operationId: decideLearnedRule
              summary: Approve, reject or revoke a node's learned rule; delivered in the node's next heartbeat answer
              x-sluice-role: operator
              parameters:
                - {name: node, in: path, required: true, schema: {type: string}, description: The node id}
                - {name: rule, in: path, required: true, schema: {type: string}, description: The learned rule id}
              requestBody:
                required: true
                content:
                  application/json:
                    schema: {$ref: '#/components/schemas/RuleDecisionRequest'}
              responses:
                '201':
                  description: Recorded
                  content:
                    application/json:
                      schema: {$ref: '#/components/schemas/RuleDecision'}
                '400': {$ref: '#/components/responses/BadRequest'}
                '401': {$ref: '#/components/responses/Unauthorized'}
                '403': {$ref: '#/components/responses/Forbidden'}
                '404': {$ref: '#/components/responses/NotFound'}

        """#

    static let operationPaths = #"""
          /api/v1/openapi.yaml:
            get:
              tags: [operations]
              operationId: openapi
              summary: This document
              security: []
              responses:
                '200':
                  description: OpenAPI 3.1
                  content:
                    application/yaml:
                      schema: {type: string}
          /healthz:
            get:
              tags: [operations]
              operationId: healthz
              summary: Answers while the server runs
              security: []
              responses:
                '200': {description: ok, content: {text/plain: {schema: {type: string}}}}
          /readyz:
            get:
              tags: [operations]
              operationId: readyz
              summary: Answers 200 when the database answers, 503 otherwise
              security: []
              responses:
                '200': {description: ready, content: {text/plain: {schema: {type: string}}}}
                '503': {$ref: '#/components/responses/Busy'}
          /metrics:
            get:
              tags: [operations]
              operationId: metrics
              summary: Prometheus metrics
              security: []
              responses:
                '200': {description: Prometheus text format, content: {text/plain: {schema: {type: string}}}}

        """#
}
