/* Seed 001 (shared/seeds/001_f9b8a6ea32d3f09b.txt) section 8.1, the AuthService client, unchanged. */
// eslint-disable-next-line @typescript-eslint/ban-ts-comment -- the seed's client is kept verbatim, not strict TypeScript
// @ts-nocheck -- seed 001 §8.1 verbatim (it is not strict-mode TypeScript); only this header differs.
import { createRequire } from 'node:module';
const JSEncrypt = createRequire(import.meta.url)('jsencrypt');

interface PublicKeyInfo {
  key_id: string;
  public_key: string;
  expires_at: number;
  algorithm: string;
}

interface LoginResponse {
  access_token: string;
  refresh_token: string;
  token_type: string;
  expires_in: number;
  refresh_expires_in: number;
}

interface ApiResponse<T> {
  code: number;
  message: string;
  data: T;
}

class AuthService {
  private baseUrl: string;
  private sessionId: string;
  private currentKey: PublicKeyInfo | null = null;
  private refreshTimer: NodeJS.Timeout | null = null;

  constructor(baseUrl: string = '/api') {
    this.baseUrl = baseUrl;
    this.sessionId = this.getOrCreateSessionId();
  }

  /**
   * 获取或创建 Session ID
   */
  private getOrCreateSessionId(): string {
    const storageKey = 'auth_session_id';
    let sessionId = localStorage.getItem(storageKey);
    
    if (!sessionId) {
      sessionId = this.generateSessionId();
      localStorage.setItem(storageKey, sessionId);
    }
    
    return sessionId;
  }

  /**
   * 生成 Session ID
   */
  private generateSessionId(): string {
    return `${Date.now()}_${Math.random().toString(36).substr(2, 9)}`;
  }

  /**
   * 获取公钥
   */
  async getPublicKey(forceRefresh: boolean = false): Promise<PublicKeyInfo> {
    // 如果已有有效公钥且不强制刷新，直接返回
    if (!forceRefresh && this.currentKey && Date.now() < this.currentKey.expires_at) {
      return this.currentKey;
    }

    try {
      const response = await fetch(`${this.baseUrl}/public/auth/public-key`, {
        method: 'GET',
        headers: {
          'X-Session-Id': this.sessionId,
        },
      });

      if (!response.ok) {
        throw new Error('获取公钥失败');
      }

      const result: ApiResponse<PublicKeyInfo> = await response.json();
      
      if (result.code !== 200) {
        throw new Error(result.message || '获取公钥失败');
      }

      this.currentKey = result.data;
      this.scheduleAutoRefresh();
      
      return result.data;
    } catch (error) {
      console.error('获取公钥失败:', error);
      throw error;
    }
  }

  /**
   * 使用 RSA 公钥加密密码
   */
  private encryptPassword(password: string, publicKey: string): string {
    const encrypt = new JSEncrypt();
    encrypt.setPublicKey(publicKey);
    const encrypted = encrypt.encrypt(password);
    
    if (!encrypted) {
      throw new Error('密码加密失败');
    }
    
    return encrypted;
  }

  /**
   * RSA 加密登录
   */
  async loginEncrypted(username: string, password: string): Promise<LoginResponse> {
    let retryCount = 0;
    const maxRetries = 1;

    while (retryCount <= maxRetries) {
      try {
        // 获取公钥
        const keyInfo = await this.getPublicKey(retryCount > 0);
        
        // 加密密码
        const encryptedPassword = this.encryptPassword(password, keyInfo.public_key);
        
        // 发送登录请求
        const response = await fetch(`${this.baseUrl}/public/auth/login`, {
          method: 'POST',
          headers: {
            'Content-Type': 'application/json',
          },
          body: JSON.stringify({
            username,
            encryptedPassword,
            keyId: keyInfo.key_id,
          }),
        });

        const result: ApiResponse<LoginResponse> = await response.json();

        if (result.code === 200) {
          // 登录成功，清除公钥缓存
          this.currentKey = null;
          this.clearAutoRefresh();
          
          // 保存 Token
          this.saveTokens(result.data);
          
          return result.data;
        }

        // 处理密钥相关错误
        if (result.message.includes('KEY_EXPIRED') || result.message.includes('KEY_NOT_FOUND')) {
          if (retryCount < maxRetries) {
            retryCount++;
            this.currentKey = null; // 清除无效公钥
            console.log('密钥过期，正在重试...');
            continue;
          }
        }

        throw new Error(result.message || '登录失败');
      } catch (error) {
        if (retryCount >= maxRetries) {
          throw error;
        }
        retryCount++;
      }
    }

    throw new Error('登录失败，请稍后重试');
  }

  /**
   * 传统登录（明文密码）
   */
  async loginPlain(username: string, password: string): Promise<LoginResponse> {
    const response = await fetch(`${this.baseUrl}/public/auth/login`, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
      },
      body: JSON.stringify({
        username,
        password,
      }),
    });

    const result: ApiResponse<LoginResponse> = await response.json();

    if (result.code !== 200) {
      throw new Error(result.message || '登录失败');
    }

    this.saveTokens(result.data);
    return result.data;
  }

  /**
   * 用户注册
   */
  async register(username: string, email: string, password: string, phoneNumber?: string): Promise<void> {
    const response = await fetch(`${this.baseUrl}/public/auth/register`, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
      },
      body: JSON.stringify({
        username,
        email,
        password,
        phoneNumber,
      }),
    });

    const result: ApiResponse<null> = await response.json();

    if (result.code !== 201) {
      throw new Error(result.message || '注册失败');
    }
  }

  /**
   * 刷新 Token
   */
  async refreshToken(): Promise<LoginResponse> {
    const refreshToken = localStorage.getItem('refresh_token');
    
    if (!refreshToken) {
      throw new Error('未找到刷新令牌');
    }

    const response = await fetch(`${this.baseUrl}/public/auth/refresh`, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
      },
      body: JSON.stringify({
        refresh_token: refreshToken,
      }),
    });

    const result: ApiResponse<LoginResponse> = await response.json();

    if (result.code !== 200) {
      // Token 刷新失败，清除本地 Token
      this.clearTokens();
      throw new Error(result.message || 'Token 刷新失败');
    }

    this.saveTokens(result.data);
    return result.data;
  }

  /**
   * 用户登出
   */
  async logout(): Promise<void> {
    const accessToken = localStorage.getItem('access_token');
    
    if (accessToken) {
      try {
        await fetch(`${this.baseUrl}/public/auth/logout`, {
          method: 'POST',
          headers: {
            'Authorization': `Bearer ${accessToken}`,
          },
        });
      } catch (error) {
        console.error('登出请求失败:', error);
      }
    }

    this.clearTokens();
    this.currentKey = null;
    this.clearAutoRefresh();
  }

  /**
   * 获取当前用户信息
   */
  async getCurrentUser(): Promise<any> {
    const accessToken = localStorage.getItem('access_token');
    
    if (!accessToken) {
      throw new Error('未登录');
    }

    const response = await fetch(`${this.baseUrl}/public/auth/me`, {
      method: 'GET',
      headers: {
        'Authorization': `Bearer ${accessToken}`,
      },
    });

    const result: ApiResponse<any> = await response.json();

    if (result.code !== 200) {
      throw new Error(result.message || '获取用户信息失败');
    }

    return result.data;
  }

  /**
   * 保存 Token
   */
  private saveTokens(tokens: LoginResponse): void {
    localStorage.setItem('access_token', tokens.access_token);
    localStorage.setItem('refresh_token', tokens.refresh_token);
    localStorage.setItem('token_expires_at', String(Date.now() + tokens.expires_in * 1000));
  }

  /**
   * 清除 Token
   */
  private clearTokens(): void {
    localStorage.removeItem('access_token');
    localStorage.removeItem('refresh_token');
    localStorage.removeItem('token_expires_at');
  }

  /**
   * 检查 Token 是否过期
   */
  isTokenExpired(): boolean {
    const expiresAt = localStorage.getItem('token_expires_at');
    if (!expiresAt) {
      return true;
    }
    return Date.now() >= parseInt(expiresAt);
  }

  /**
   * 获取 Access Token
   */
  getAccessToken(): string | null {
    return localStorage.getItem('access_token');
  }

  /**
   * 计划自动刷新公钥（在过期前 30 秒）
   */
  private scheduleAutoRefresh(): void {
    if (!this.currentKey) {
      return;
    }

    this.clearAutoRefresh();

    const timeToExpire = this.currentKey.expires_at - Date.now();
    const refreshTime = Math.max(timeToExpire - 30000, 5000); // 至少 5 秒后刷新

    this.refreshTimer = setTimeout(() => {
      this.getPublicKey(true).catch(console.error);
    }, refreshTime);
  }

  /**
   * 清除自动刷新定时器
   */
  private clearAutoRefresh(): void {
    if (this.refreshTimer) {
      clearTimeout(this.refreshTimer);
      this.refreshTimer = null;
    }
  }
}

export default AuthService;
