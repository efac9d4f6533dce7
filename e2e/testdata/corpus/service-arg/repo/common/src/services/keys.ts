export const BLOG_KEY = "blogs";
