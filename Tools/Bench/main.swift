// scaffolding, replaced below
