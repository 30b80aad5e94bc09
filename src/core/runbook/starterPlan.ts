/**
 * A plan to start from, in the shape the parser reads: a heading per scenario, numbered steps,
 * each step's commands in a fenced block under it. The names are placeholders for the team to
 * replace with its own.
 */
export const STARTER_PLAN = `# My service: disaster recovery plan

Replace the names below with your own: the extension reads this file as you edit it.

## Recovery Point Objective (RPO)

RPO: 1 hour.

## Recovery Time Objective (RTO)

RTO: 4 hours.

## Recovery procedures

### Lost cluster

1. Point your kubeconfig at the replacement cluster.
2. Create the namespace:
   \`\`\`
   kubectl create namespace my-service
   \`\`\`
3. Apply the manifests:
   \`\`\`
   kubectl apply -f deploy/ -n my-service
   \`\`\`
4. Check the logs:
   \`\`\`
   kubectl logs deployment/my-service -n my-service
   \`\`\`
5. Point DNS at the new cluster.

### Bad release

1. Roll back to the revision that worked:
   \`\`\`
   kubectl rollout undo deployment/my-service -n my-service
   \`\`\`

## Drill

### Quarterly drill

1. Create a test namespace:
   \`\`\`
   kubectl create namespace my-service-drill
   \`\`\`
2. Check that the service works there.
3. Remove it:
   \`\`\`
   kubectl delete namespace my-service-drill
   \`\`\`
`;
