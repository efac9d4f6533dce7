import { BLOG_KEY } from "common/src/services/keys";

console.log("api serving", BLOG_KEY);
