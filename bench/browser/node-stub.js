// Empty stand-in for the Node built-ins that tfjs-backend-wasm's ES bundle
// imports but only uses under Node (what a bundler's "browser: false" does).
export default {};
