/** The one jstat function the Erlang-A wait law uses (jstat ships no types). */
declare module "jstat" {
  const jstat: {
    jStat: {
      /** Regularized lower incomplete gamma P(a, x). */
      lowRegGamma(a: number, x: number): number;
    };
  };
  export default jstat;
}
