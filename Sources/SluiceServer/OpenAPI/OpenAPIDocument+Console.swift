/// The routes the web console added: policy checks before a push and aggregates for charts.
extension OpenAPIDocument {
    static let consolePaths = #"""
          /api/v1/policies/validate:
            post:
              tags: [policies]
              operationId: validatePolicies
              summary: Check policy texts as a push would, storing nothing
              description: |
                Every diagnostic with its file, line, column and field, and for a valid text the unified diff
                of each policy against its latest stored version (an empty diff when the text is unchanged).
                Diagnostics that come from stored policies a pushed one must fit with name those policies'
                `server:name@vN` files; a problem without a place has line 0.
              x-sluice-role: viewer
              requestBody:
                required: true
                content:
                  application/json:
                    schema: {$ref: '#/components/schemas/PolicyValidateRequest'}
              responses:
                '200':
                  description: The verdict; `valid` false is not an HTTP error
                  content:
                    application/json:
                      schema: {$ref: '#/components/schemas/PolicyValidateResponse'}
                '400': {$ref: '#/components/responses/BadRequest'}
                '401': {$ref: '#/components/responses/Unauthorized'}
                '413': {$ref: '#/components/responses/TooLarge'}
          /api/v1/policies/explain:
            post:
              tags: [policies]
              operationId: explainConnection
              summary: Would this executable reach this destination under the stored policies?
              description: |
                The core's compiler and decision engine, with the kernel's precedence, over the latest stored
                policies (only those whose node selector matches `node`, when given). The server cannot see a
                node's files, so executables and cgroups are matched by path.
              x-sluice-role: viewer
              requestBody:
                required: true
                content:
                  application/json:
                    schema: {$ref: '#/components/schemas/PolicyExplainRequest'}
              responses:
                '200':
                  description: The decision and how it was reached
                  content:
                    application/json:
                      schema: {$ref: '#/components/schemas/PolicyExplainResponse'}
                '400': {$ref: '#/components/responses/BadRequest'}
                '401': {$ref: '#/components/responses/Unauthorized'}
                '404': {$ref: '#/components/responses/NotFound'}
                '422': {$ref: '#/components/responses/Rejected'}
          /api/v1/stats/timeline:
            get:
              tags: [events]
              operationId: statsTimeline
              summary: Stored decisions per time bucket, by verdict
              x-sluice-role: viewer
              parameters:
                - {$ref: '#/components/parameters/statsFrom'}
                - {$ref: '#/components/parameters/statsTo'}
                - {name: bucket, in: query, schema: {type: integer, minimum: 10, maximum: 86400}, description: 'Seconds per bucket; default about a sixtieth of the range, at least 60'}
                - {name: node, in: query, schema: {type: string}, description: Node id or name (repeatable)}
                - {name: exe, in: query, schema: {type: string}, description: Only this executable path}
                - {name: verdict, in: query, schema: {type: string}, description: 'allow, alert or deny (repeatable, comma lists)'}
              responses:
                '200':
                  description: Buckets holding events, oldest first
                  content:
                    application/json:
                      schema: {$ref: '#/components/schemas/StatsTimeline'}
                '400': {$ref: '#/components/responses/BadRequest'}
                '401': {$ref: '#/components/responses/Unauthorized'}
          /api/v1/stats/top:
            get:
              tags: [events]
              operationId: statsTop
              summary: The busiest executables or destinations in a range
              x-sluice-role: viewer
              parameters:
                - {name: by, in: query, schema: {type: string, enum: [exe, dst], default: exe}}
                - {$ref: '#/components/parameters/statsFrom'}
                - {$ref: '#/components/parameters/statsTo'}
                - {name: limit, in: query, schema: {type: integer, minimum: 1, maximum: 100, default: 10}}
                - {name: node, in: query, schema: {type: string}, description: Node id or name (repeatable)}
                - {name: exe, in: query, schema: {type: string}}
                - {name: verdict, in: query, schema: {type: string}}
              responses:
                '200':
                  description: Most decisions first
                  content:
                    application/json:
                      schema: {type: array, items: {$ref: '#/components/schemas/StatsTopEntry'}}
                '400': {$ref: '#/components/responses/BadRequest'}
                '401': {$ref: '#/components/responses/Unauthorized'}
          /api/v1/stats/new-destinations:
            get:
              tags: [events]
              operationId: statsNewDestinations
              summary: Destinations (address and port) first seen on each UTC day of a range
              x-sluice-role: viewer
              parameters:
                - {name: from, in: query, schema: {type: string}, description: 'RFC 3339 or a duration back from now (default 7d)'}
                - {$ref: '#/components/parameters/statsTo'}
                - {name: node, in: query, schema: {type: string}, description: Node id or name (repeatable)}
              responses:
                '200':
                  description: Days with new destinations, oldest first
                  content:
                    application/json:
                      schema: {type: array, items: {$ref: '#/components/schemas/NewDestinationsDay'}}
                '400': {$ref: '#/components/responses/BadRequest'}
                '401': {$ref: '#/components/responses/Unauthorized'}

        """#

    static let consoleSchemas = #"""
            SessionCreated:
              type: object
              required: [user, csrf_token, expires]
              properties:
                user: {$ref: '#/components/schemas/UserInfo'}
                csrf_token: {type: string, description: Send as X-CSRF-Token with every state change made with the cookie}
                expires: {$ref: '#/components/schemas/Time'}
            PolicyValidateRequest:
              type: object
              required: [documents]
              properties:
                documents: {type: array, minItems: 1, maxItems: 512, items: {type: string}}
                file_names: {type: array, items: {type: string}, description: 'The names diagnostics use; default document[i]'}
            PolicyCheckDiagnostic:
              type: object
              required: [severity, file, line, column, field, message]
              properties:
                severity: {type: string, enum: [error, warning]}
                file: {type: string}
                line: {type: integer, description: 1-based; 0 when the problem has no place}
                column: {type: integer}
                field: {type: string, description: 'Dotted path, e.g. spec.egress[0].ports[1]'}
                message: {type: string}
            PolicyValidateResponse:
              type: object
              required: [valid, policies, diagnostics, diffs]
              properties:
                valid: {type: boolean}
                policies: {type: array, items: {type: string}}
                diagnostics: {type: array, items: {$ref: '#/components/schemas/PolicyCheckDiagnostic'}}
                diffs: {type: array, items: {$ref: '#/components/schemas/PolicyDiff'}}
            PolicyExplainRequest:
              type: object
              required: [destination, port]
              properties:
                executable: {type: string}
                cgroup: {type: string}
                destination: {type: string, description: An IPv4 or IPv6 address}
                port: {type: integer, minimum: 1, maximum: 65535}
                transport: {type: string, enum: [tcp, udp], default: tcp}
                node: {type: string, description: Only the policies whose selector matches this node (id or name)}
            Explanation:
              type: object
              required: [verdict, blocks, monitor, rule, subject, by_default, trace]
              properties:
                verdict: {type: string, enum: [allow, alert, deny]}
                blocks: {type: boolean}
                monitor: {type: boolean}
                policy: {type: string}
                rule: {type: string}
                rule_location: {type: string}
                subject: {type: string}
                by_default: {type: boolean}
                matched_prefix: {type: string}
                trace: {type: array, items: {type: string}}
            PolicyExplainResponse:
              type: object
              required: [explanation, policies]
              properties:
                explanation: {$ref: '#/components/schemas/Explanation'}
                policies: {type: array, items: {type: string}, description: 'The policies used, server:name@vN'}
            VerdictCounts:
              type: object
              required: [time, allow, alert, deny]
              properties:
                time: {$ref: '#/components/schemas/Time'}
                allow: {type: integer}
                alert: {type: integer}
                deny: {type: integer}
            StatsTimeline:
              type: object
              required: [from, to, bucket_seconds, buckets]
              properties:
                from: {$ref: '#/components/schemas/Time'}
                to: {$ref: '#/components/schemas/Time'}
                bucket_seconds: {type: integer}
                buckets: {type: array, items: {$ref: '#/components/schemas/VerdictCounts'}}
            StatsTopEntry:
              type: object
              required: [key, total, denies, alerts, last_seen]
              properties:
                key: {type: string, description: 'An executable path, or a destination ip:port ([ip]:port for IPv6)'}
                total: {type: integer}
                denies: {type: integer}
                alerts: {type: integer}
                last_seen: {$ref: '#/components/schemas/Time'}
            NewDestinationsDay:
              type: object
              required: [day, count]
              properties:
                day: {$ref: '#/components/schemas/Time'}
                count: {type: integer}

        """#
}
