// pnpm hooks. `beforePacking`: the tarball of a package other apps install (`@swarm/client`)
// names only what those apps need; its devDependencies and build scripts point at this workspace.
module.exports = {
  hooks: {
    beforePacking(manifest) {
      if (manifest.name === '@swarm/client') {
        delete manifest.devDependencies;
        delete manifest.scripts;
      }
      return manifest;
    },
  },
};
