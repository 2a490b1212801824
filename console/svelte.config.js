// Svelte compiler options shared by vite-plugin-svelte and svelte-check.
export default { compilerOptions: { runes: true } };
